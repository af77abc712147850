// Organizations through the official stytch Node SDK (npm `stytch`, B2BClient.organizations).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  client,
  badClient,
  uniq,
  createOrg,
  expectStytchError,
  assertEnvelope,
  allPages,
} from "../lib/env.mjs";

const UNKNOWN_ORG = "organization-test-00000000-0000-4000-8000-000000000000";

/** Fields every Organization object must carry (the Python SDK's pydantic model requires all of them). */
function assertOrgShape(org) {
  for (const k of [
    "organization_id",
    "organization_name",
    "organization_logo_url",
    "organization_slug",
    "sso_jit_provisioning",
    "email_jit_provisioning",
    "email_invites",
    "auth_methods",
    "mfa_policy",
    "mfa_methods",
    "oauth_tenant_jit_provisioning",
    "first_party_connected_apps_allowed_type",
    "third_party_connected_apps_allowed_type",
  ]) {
    assert.equal(typeof org[k], "string", `organization.${k} is a string (got ${JSON.stringify(org[k])})`);
  }
  for (const k of [
    "sso_jit_provisioning_allowed_connections",
    "sso_active_connections",
    "email_allowed_domains",
    "allowed_auth_methods",
    "rbac_email_implicit_role_assignments",
    "allowed_mfa_methods",
    "claimed_email_domains",
    "allowed_first_party_connected_apps",
    "allowed_third_party_connected_apps",
    "custom_roles",
  ]) {
    assert.ok(Array.isArray(org[k]), `organization.${k} is an array (got ${JSON.stringify(org[k])})`);
  }
  assert.ok(org.organization_id.startsWith("organization-"), `organization_id format: ${org.organization_id}`);
}

test("create returns the organization with the requested fields", async () => {
  const u = uniq();
  const trusted = { tier: "gold", nested: { n: 42, list: [1, "two", true], nothing: null } };
  const res = await client().organizations.create({
    organization_name: `Acme ${u}`,
    organization_slug: `acme-${u}`,
    organization_external_id: `ext-${u}`,
    trusted_metadata: trusted,
    email_allowed_domains: [`acme-${u}.example.com`],
    first_party_connected_apps_allowed_type: "NOT_ALLOWED",
    third_party_connected_apps_allowed_type: "NOT_ALLOWED",
  });
  assertEnvelope(res);
  const org = res.organization;
  assertOrgShape(org);
  assert.equal(org.organization_name, `Acme ${u}`);
  assert.equal(org.organization_slug, `acme-${u}`);
  assert.equal(org.organization_external_id, `ext-${u}`);
  assert.deepEqual(org.trusted_metadata, trusted);
  assert.deepEqual(org.email_allowed_domains, [`acme-${u}.example.com`]);
  assert.equal(org.first_party_connected_apps_allowed_type, "NOT_ALLOWED");
  assert.equal(org.third_party_connected_apps_allowed_type, "NOT_ALLOWED");
  assert.deepEqual(org.allowed_first_party_connected_apps, []);
  assert.deepEqual(org.allowed_third_party_connected_apps, []);
});

test("create with only a name and slug gets the documented defaults", async () => {
  const org = await createOrg();
  assertOrgShape(org);
  assert.equal(org.first_party_connected_apps_allowed_type, "ALL_ALLOWED");
  assert.equal(org.third_party_connected_apps_allowed_type, "ALL_ALLOWED");
  assert.equal(org.sso_jit_provisioning, "ALL_ALLOWED");
  assert.equal(org.auth_methods, "ALL_ALLOWED");
  assert.equal(org.mfa_policy, "OPTIONAL");
  assert.deepEqual(org.email_allowed_domains, []);
});

test("get by organization_id, by slug and by external id", async () => {
  const u = uniq();
  const created = await createOrg({ organization_external_id: `ext-${u}`, trusted_metadata: { k: "v" } });
  for (const key of [created.organization_id, created.organization_slug, `ext-${u}`]) {
    const res = await client().organizations.get({ organization_id: key });
    assertEnvelope(res);
    assertOrgShape(res.organization);
    assert.equal(res.organization.organization_id, created.organization_id, `lookup by ${key}`);
    assert.equal(res.organization.organization_name, created.organization_name);
    assert.deepEqual(res.organization.trusted_metadata, { k: "v" });
  }
});

test("update changes name, slug, metadata, domains and connected-apps policy; get sees it", async () => {
  const created = await createOrg({ trusted_metadata: { a: 1 } });
  const u = uniq();
  const res = await client().organizations.update({
    organization_id: created.organization_id,
    organization_name: `Renamed ${u}`,
    organization_slug: `renamed-${u}`,
    trusted_metadata: { a: 2, b: { c: [3] } },
    email_allowed_domains: [`renamed-${u}.example.com`, `second-${u}.example.org`],
    first_party_connected_apps_allowed_type: "NOT_ALLOWED",
    third_party_connected_apps_allowed_type: "NOT_ALLOWED",
  });
  assertEnvelope(res);
  assertOrgShape(res.organization);
  assert.equal(res.organization.organization_id, created.organization_id);
  assert.equal(res.organization.organization_name, `Renamed ${u}`);
  assert.equal(res.organization.organization_slug, `renamed-${u}`);
  assert.deepEqual(res.organization.trusted_metadata, { a: 2, b: { c: [3] } });
  assert.deepEqual(res.organization.email_allowed_domains, [
    `renamed-${u}.example.com`,
    `second-${u}.example.org`,
  ]);
  assert.equal(res.organization.first_party_connected_apps_allowed_type, "NOT_ALLOWED");
  assert.equal(res.organization.third_party_connected_apps_allowed_type, "NOT_ALLOWED");

  // The new slug works as an identifier; the old one no longer does.
  const got = await client().organizations.get({ organization_id: `renamed-${u}` });
  assert.equal(got.organization.organization_id, created.organization_id);
  assert.equal(got.organization.organization_name, `Renamed ${u}`);
  assert.equal(got.organization.first_party_connected_apps_allowed_type, "NOT_ALLOWED");
  await expectStytchError(
    client().organizations.get({ organization_id: created.organization_slug }),
    "organization_not_found",
    404,
  );
});

test("update leaves fields that were not sent unchanged", async () => {
  const created = await createOrg({
    trusted_metadata: { keep: true },
    email_allowed_domains: [`keep-${uniq()}.example.com`],
  });
  const res = await client().organizations.update({
    organization_id: created.organization_id,
    organization_name: `${created.organization_name} v2`,
  });
  assert.equal(res.organization.organization_name, `${created.organization_name} v2`);
  assert.equal(res.organization.organization_slug, created.organization_slug);
  assert.deepEqual(res.organization.trusted_metadata, { keep: true });
  assert.deepEqual(res.organization.email_allowed_domains, created.email_allowed_domains);
});

test("update and delete accept the slug in place of organization_id", async () => {
  const created = await createOrg();
  const res = await client().organizations.update({
    organization_id: created.organization_slug,
    organization_name: "Updated by slug",
  });
  assert.equal(res.organization.organization_id, created.organization_id);
  assert.equal(res.organization.organization_name, "Updated by slug");
  const del = await client().organizations.delete({ organization_id: created.organization_slug });
  assertEnvelope(del);
  assert.equal(del.organization_id, created.organization_id);
});

test("delete removes the organization", async () => {
  const created = await createOrg();
  const res = await client().organizations.delete({ organization_id: created.organization_id });
  assertEnvelope(res);
  assert.equal(res.organization_id, created.organization_id);
  await expectStytchError(
    client().organizations.get({ organization_id: created.organization_id }),
    "organization_not_found",
    404,
  );
});

test("unknown organization -> organization_not_found (404) on get, update and delete", async () => {
  await expectStytchError(client().organizations.get({ organization_id: UNKNOWN_ORG }), "organization_not_found", 404);
  await expectStytchError(
    client().organizations.update({ organization_id: UNKNOWN_ORG, organization_name: "x" }),
    "organization_not_found",
    404,
  );
  await expectStytchError(
    client().organizations.delete({ organization_id: UNKNOWN_ORG }),
    "organization_not_found",
    404,
  );
});

test("duplicate slug -> organization_slug_already_used (400), on create and on update", async () => {
  const first = await createOrg();
  await expectStytchError(
    client().organizations.create({ organization_name: "Dup", organization_slug: first.organization_slug }),
    "organization_slug_already_used",
    400,
  );
  const second = await createOrg();
  await expectStytchError(
    client().organizations.update({
      organization_id: second.organization_id,
      organization_slug: first.organization_slug,
    }),
    "organization_slug_already_used",
    400,
  );
});

test("wrong secret -> unauthorized_credentials (401)", async () => {
  await expectStytchError(badClient().organizations.get({ organization_id: UNKNOWN_ORG }), "unauthorized_credentials", 401);
  await expectStytchError(
    badClient().organizations.create({ organization_name: "Nope", organization_slug: `nope-${uniq()}` }),
    "unauthorized_credentials",
    401,
  );
});

test("search by organization_slugs", async () => {
  const a = await createOrg();
  const b = await createOrg();
  await createOrg(); // not asked for
  const res = await client().organizations.search({
    query: {
      operator: "AND",
      operands: [{ filter_name: "organization_slugs", filter_value: [a.organization_slug, b.organization_slug] }],
    },
  });
  assertEnvelope(res);
  const ids = res.organizations.map((o) => o.organization_id).sort();
  assert.deepEqual(ids, [a.organization_id, b.organization_id].sort());
  assert.equal(res.results_metadata.total, 2);
  assert.ok(!res.results_metadata.next_cursor, `no next_cursor expected, got ${res.results_metadata.next_cursor}`);
  res.organizations.forEach(assertOrgShape);
});

test("search by organization_name_fuzzy, paginated with limit 1 and cursor", async () => {
  const token = `Fuzzy${uniq()}`;
  const made = [];
  for (let i = 0; i < 3; i++) {
    made.push(await createOrg({ organization_name: `Org ${i} ${token} Inc` }));
  }
  await createOrg({ organization_name: "Unrelated name" });
  const query = { operator: "AND", operands: [{ filter_name: "organization_name_fuzzy", filter_value: token }] };

  const all = await client().organizations.search({ query });
  assert.deepEqual(
    all.organizations.map((o) => o.organization_id).sort(),
    made.map((o) => o.organization_id).sort(),
  );
  assert.equal(all.results_metadata.total, 3);

  const first = await client().organizations.search({ limit: 1, query });
  assert.equal(first.organizations.length, 1);
  assert.equal(first.results_metadata.total, 3);
  assert.equal(typeof first.results_metadata.next_cursor, "string");
  assert.ok(first.results_metadata.next_cursor.length > 0, "next_cursor on the first page");

  const pages = await allPages((r) => client().organizations.search(r), { limit: 1, query });
  assert.equal(pages.length, 3, "three pages of one");
  const seen = pages.flatMap((p) => p.organizations.map((o) => o.organization_id));
  assert.equal(new Set(seen).size, 3, `distinct organizations across pages: ${seen}`);
  assert.deepEqual([...seen].sort(), made.map((o) => o.organization_id).sort());
  for (const p of pages) assert.equal(p.organizations.length, 1);
});

test("search with two operands is an AND", async () => {
  const token = `And${uniq()}`;
  const a = await createOrg({ organization_name: `${token} alpha` });
  await createOrg({ organization_name: `${token} beta` });
  const res = await client().organizations.search({
    query: {
      operator: "AND",
      operands: [
        { filter_name: "organization_name_fuzzy", filter_value: token },
        { filter_name: "organization_slugs", filter_value: [a.organization_slug] },
      ],
    },
  });
  assert.deepEqual(
    res.organizations.map((o) => o.organization_id),
    [a.organization_id],
  );
});
