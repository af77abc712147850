// Members through the official stytch Node SDK (B2BClient.organizations.members).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { client, badClient, uniq, createOrg, expectStytchError, assertEnvelope, allPages } from "../lib/env.mjs";

const UNKNOWN_MEMBER = "member-test-00000000-0000-4000-8000-000000000000";

let org;
before(async () => {
  org = await createOrg();
});

function email(tag = "m") {
  return `${tag}-${uniq()}@interop.example.com`;
}

/** Fields every Member object must carry (the Python SDK's pydantic model requires all of them). */
function assertMemberShape(m) {
  for (const k of [
    "organization_id",
    "member_id",
    "email_address",
    "status",
    "name",
    "member_password_id",
    "totp_registration_id",
    "mfa_phone_number",
    "default_mfa_method",
  ]) {
    assert.equal(typeof m[k], "string", `member.${k} is a string (got ${JSON.stringify(m[k])})`);
  }
  for (const k of [
    "is_breakglass",
    "email_address_verified",
    "mfa_phone_number_verified",
    "is_admin",
    "is_locked",
    "mfa_enrolled",
  ]) {
    assert.equal(typeof m[k], "boolean", `member.${k} is a boolean (got ${JSON.stringify(m[k])})`);
  }
  for (const k of ["sso_registrations", "oauth_registrations", "retired_email_addresses", "roles"]) {
    assert.ok(Array.isArray(m[k]), `member.${k} is an array (got ${JSON.stringify(m[k])})`);
  }
  for (const r of m.roles) {
    assert.equal(typeof r.role_id, "string", "roles[].role_id");
    assert.ok(Array.isArray(r.sources), "roles[].sources");
    for (const s of r.sources) assert.equal(typeof s.type, "string", "roles[].sources[].type");
  }
  assert.ok(m.member_id.startsWith("member-"), `member_id format: ${m.member_id}`);
}

function roleIds(m) {
  return m.roles.map((r) => r.role_id);
}

async function createMember(extra = {}) {
  const res = await client().organizations.members.create({
    organization_id: org.organization_id,
    email_address: email(),
    ...extra,
  });
  return res.member;
}

test("create returns member_id, member and organization", async () => {
  const addr = email("alice");
  const ext = `ext-${uniq()}`;
  const res = await client().organizations.members.create({
    organization_id: org.organization_id,
    email_address: addr,
    name: "Alice Example",
    trusted_metadata: { dept: "eng", level: 3, tags: ["a", "b"] },
    untrusted_metadata: { theme: "dark" },
    roles: ["stytch_admin"],
    external_id: ext,
  });
  assertEnvelope(res);
  assert.equal(typeof res.member_id, "string");
  assert.equal(res.member.member_id, res.member_id);
  assertMemberShape(res.member);
  assert.equal(res.member.organization_id, org.organization_id);
  assert.equal(res.member.email_address, addr);
  assert.equal(res.member.name, "Alice Example");
  assert.equal(res.member.status, "active");
  assert.equal(res.member.external_id, ext);
  assert.deepEqual(res.member.trusted_metadata, { dept: "eng", level: 3, tags: ["a", "b"] });
  assert.deepEqual(res.member.untrusted_metadata, { theme: "dark" });
  assert.equal(res.member.is_admin, true, "is_admin with stytch_admin");
  const admin = res.member.roles.find((r) => r.role_id === "stytch_admin");
  assert.ok(admin, `stytch_admin in roles: ${JSON.stringify(res.member.roles)}`);
  assert.ok(
    admin.sources.some((s) => s.type === "direct_assignment"),
    `stytch_admin source direct_assignment: ${JSON.stringify(admin.sources)}`,
  );
  assert.equal(res.organization.organization_id, org.organization_id);
  assert.equal(res.organization.organization_slug, org.organization_slug);
});

test("a member without roles is not an admin", async () => {
  const m = await createMember({ name: "Plain" });
  assertMemberShape(m);
  assert.equal(m.is_admin, false);
  assert.ok(!roleIds(m).includes("stytch_admin"), `roles: ${JSON.stringify(m.roles)}`);
});

test("create_member_as_pending gives status pending", async () => {
  const m = await createMember({ create_member_as_pending: true });
  assert.equal(m.status, "pending");
});

test("get by member_id, by email_address and by external_id", async () => {
  const ext = `ext-${uniq()}`;
  const created = await createMember({ name: "Bob", external_id: ext, trusted_metadata: { x: 1 } });
  const byId = await client().organizations.members.get({
    organization_id: org.organization_id,
    member_id: created.member_id,
  });
  assertEnvelope(byId);
  assertMemberShape(byId.member);
  assert.equal(byId.member_id, created.member_id);
  assert.equal(byId.member.email_address, created.email_address);
  assert.equal(byId.member.name, "Bob");
  assert.deepEqual(byId.member.trusted_metadata, { x: 1 });
  assert.equal(byId.organization.organization_id, org.organization_id);

  const byEmail = await client().organizations.members.get({
    organization_id: org.organization_id,
    email_address: created.email_address,
  });
  assert.equal(byEmail.member_id, created.member_id);

  const byExt = await client().organizations.members.get({ organization_id: org.organization_id, member_id: ext });
  assert.equal(byExt.member_id, created.member_id);

  // The organization may be named by its slug as well.
  const viaSlug = await client().organizations.members.get({
    organization_id: org.organization_slug,
    member_id: created.member_id,
  });
  assert.equal(viaSlug.member_id, created.member_id);
});

test("update name, metadata, roles, external_id; is_admin follows roles", async () => {
  const created = await createMember({ name: "Carol", roles: ["stytch_admin"] });
  assert.equal(created.is_admin, true);
  const ext = `ext-${uniq()}`;
  const res = await client().organizations.members.update({
    organization_id: org.organization_id,
    member_id: created.member_id,
    name: "Carol Updated",
    trusted_metadata: { promoted: false },
    roles: [],
    external_id: ext,
  });
  assertEnvelope(res);
  assertMemberShape(res.member);
  assert.equal(res.member_id, created.member_id);
  assert.equal(res.member.name, "Carol Updated");
  assert.deepEqual(res.member.trusted_metadata, { promoted: false });
  assert.equal(res.member.external_id, ext);
  assert.equal(res.member.is_admin, false);
  assert.ok(!roleIds(res.member).includes("stytch_admin"), `roles: ${JSON.stringify(res.member.roles)}`);
  assert.equal(res.member.email_address, created.email_address, "email unchanged");

  // Promote again, addressing the member by external_id.
  const again = await client().organizations.members.update({
    organization_id: org.organization_id,
    member_id: ext,
    roles: ["stytch_admin"],
  });
  assert.equal(again.member_id, created.member_id);
  assert.equal(again.member.is_admin, true);
  assert.equal(again.member.name, "Carol Updated", "name not sent, so unchanged");

  const got = await client().organizations.members.get({
    organization_id: org.organization_id,
    member_id: created.member_id,
  });
  assert.equal(got.member.name, "Carol Updated");
  assert.equal(got.member.is_admin, true);
});

test("update email_address", async () => {
  const created = await createMember();
  const next = email("moved");
  const res = await client().organizations.members.update({
    organization_id: org.organization_id,
    member_id: created.member_id,
    email_address: next,
  });
  assert.equal(res.member.email_address, next);
  const got = await client().organizations.members.get({ organization_id: org.organization_id, email_address: next });
  assert.equal(got.member_id, created.member_id);
});

test("delete removes the member", async () => {
  const created = await createMember();
  const res = await client().organizations.members.delete({
    organization_id: org.organization_id,
    member_id: created.member_id,
  });
  assertEnvelope(res);
  assert.equal(res.member_id, created.member_id);
  await expectStytchError(
    client().organizations.members.get({ organization_id: org.organization_id, member_id: created.member_id }),
    "member_not_found",
    404,
  );
});

test("duplicate email in the same organization -> duplicate_member_email (400)", async () => {
  const created = await createMember();
  await expectStytchError(
    client().organizations.members.create({ organization_id: org.organization_id, email_address: created.email_address }),
    "duplicate_member_email",
    400,
  );
});

test("the same email may be a member of two organizations", async () => {
  const other = await createOrg();
  const created = await createMember();
  const res = await client().organizations.members.create({
    organization_id: other.organization_id,
    email_address: created.email_address,
  });
  assert.notEqual(res.member_id, created.member_id);
  assert.equal(res.member.organization_id, other.organization_id);
});

test("unknown member -> member_not_found (404) on get, update and delete", async () => {
  const members = client().organizations.members;
  const o = org.organization_id;
  await expectStytchError(members.get({ organization_id: o, member_id: UNKNOWN_MEMBER }), "member_not_found", 404);
  await expectStytchError(
    members.get({ organization_id: o, email_address: `nobody-${uniq()}@interop.example.com` }),
    "member_not_found",
    404,
  );
  await expectStytchError(members.update({ organization_id: o, member_id: UNKNOWN_MEMBER, name: "x" }), "member_not_found", 404);
  await expectStytchError(members.delete({ organization_id: o, member_id: UNKNOWN_MEMBER }), "member_not_found", 404);
});

test("a member of another organization is not found through this one", async () => {
  const other = await createOrg();
  const m = await createMember();
  await expectStytchError(
    client().organizations.members.get({ organization_id: other.organization_id, member_id: m.member_id }),
    "member_not_found",
    404,
  );
});

test("unknown organization on member create -> organization_not_found (404)", async () => {
  await expectStytchError(
    client().organizations.members.create({
      organization_id: "organization-test-00000000-0000-4000-8000-000000000000",
      email_address: email(),
    }),
    "organization_not_found",
    404,
  );
});

test("wrong secret on members -> unauthorized_credentials (401)", async () => {
  await expectStytchError(
    badClient().organizations.members.get({ organization_id: org.organization_id, member_id: UNKNOWN_MEMBER }),
    "unauthorized_credentials",
    401,
  );
});

test("search by member_emails and statuses", async () => {
  const a = await createMember();
  const b = await createMember();
  const p = await createMember({ create_member_as_pending: true });
  const res = await client().organizations.members.search({
    organization_ids: [org.organization_id],
    query: {
      operator: "AND",
      operands: [{ filter_name: "member_emails", filter_value: [a.email_address, b.email_address, p.email_address] }],
    },
  });
  assertEnvelope(res);
  assert.deepEqual(res.members.map((m) => m.member_id).sort(), [a.member_id, b.member_id, p.member_id].sort());
  assert.equal(res.results_metadata.total, 3);
  res.members.forEach(assertMemberShape);
  assert.ok(res.organizations[org.organization_id], "organizations map keyed by organization_id");
  assert.equal(res.organizations[org.organization_id].organization_slug, org.organization_slug);

  const active = await client().organizations.members.search({
    organization_ids: [org.organization_id],
    query: {
      operator: "AND",
      operands: [
        { filter_name: "member_emails", filter_value: [a.email_address, b.email_address, p.email_address] },
        { filter_name: "statuses", filter_value: ["active"] },
      ],
    },
  });
  assert.deepEqual(active.members.map((m) => m.member_id).sort(), [a.member_id, b.member_id].sort());

  const pending = await client().organizations.members.search({
    organization_ids: [org.organization_id],
    query: {
      operator: "AND",
      operands: [
        { filter_name: "member_emails", filter_value: [a.email_address, b.email_address, p.email_address] },
        { filter_name: "statuses", filter_value: ["pending"] },
      ],
    },
  });
  assert.deepEqual(pending.members.map((m) => m.member_id), [p.member_id]);
});

test("search is limited to organization_ids", async () => {
  const other = await createOrg();
  const mine = await createMember();
  await client().organizations.members.create({ organization_id: other.organization_id, email_address: mine.email_address });
  const res = await client().organizations.members.search({
    organization_ids: [org.organization_id],
    query: { operator: "AND", operands: [{ filter_name: "member_emails", filter_value: [mine.email_address] }] },
  });
  assert.deepEqual(res.members.map((m) => m.member_id), [mine.member_id]);
});

test("search paginates with limit 1 and cursor", async () => {
  const own = await createOrg();
  const made = [];
  for (let i = 0; i < 3; i++) {
    const r = await client().organizations.members.create({ organization_id: own.organization_id, email_address: email(`p${i}`) });
    made.push(r.member_id);
  }
  const req = { organization_ids: [own.organization_id], limit: 1 };
  const first = await client().organizations.members.search(req);
  assert.equal(first.members.length, 1);
  assert.equal(first.results_metadata.total, 3);
  assert.ok(first.results_metadata.next_cursor, "next_cursor on the first page");

  const pages = await allPages((r) => client().organizations.members.search(r), req);
  assert.equal(pages.length, 3);
  const seen = pages.flatMap((p) => p.members.map((m) => m.member_id));
  assert.deepEqual([...seen].sort(), [...made].sort());
});

test("deleting the organization deletes its members", async () => {
  const own = await createOrg();
  const r = await client().organizations.members.create({ organization_id: own.organization_id, email_address: email() });
  await client().organizations.delete({ organization_id: own.organization_id });
  await expectStytchError(
    client().organizations.members.get({ organization_id: own.organization_id, member_id: r.member_id }),
    "organization_not_found",
    404,
  );
});

test("emails with '+' and external ids with '|' survive query and path encoding", async () => {
  const addr = `plus+${uniq()}@interop.example.com`;
  const ext = `idp|${uniq()}`;
  const created = await createMember({ email_address: addr, external_id: ext });
  assert.equal(created.email_address, addr);
  const byEmail = await client().organizations.members.get({ organization_id: org.organization_id, email_address: addr });
  assert.equal(byEmail.member_id, created.member_id);
  const byExt = await client().organizations.members.get({ organization_id: org.organization_id, member_id: ext });
  assert.equal(byExt.member_id, created.member_id);
  const upd = await client().organizations.members.update({ organization_id: org.organization_id, member_id: ext, name: "Piped" });
  assert.equal(upd.member.name, "Piped");
});
