// RBAC through the official Node SDK: rbac.policy() and rbac.organizations.{get,set}OrgPolicy.
// tests/api/interop.rs sets docs/examples/rbac-policy.json first and says so with
// LATCHKEY_RBAC_EXAMPLE_POLICY=1; without it only Stytch's defaults are checked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, createOrg, assertEnvelope, expectStytchError } from "../lib/env.mjs";

const example = process.env.LATCHKEY_RBAC_EXAMPLE_POLICY === "1";

function assertPermissions(list) {
  assert.ok(Array.isArray(list));
  for (const p of list) {
    assert.equal(typeof p.resource_id, "string");
    assert.ok(Array.isArray(p.actions) && p.actions.every((a) => typeof a === "string"));
  }
}

test("rbac.policy() returns roles, resources and scopes in Stytch's shape", async () => {
  const res = await client().rbac.policy();
  assertEnvelope(res);
  const { roles, resources, scopes } = res.policy;
  for (const r of roles) {
    assert.equal(typeof r.role_id, "string");
    assert.equal(typeof r.description, "string");
    assertPermissions(r.permissions);
  }
  for (const r of resources) {
    assert.equal(typeof r.resource_id, "string");
    assert.equal(typeof r.description, "string");
    assert.ok(Array.isArray(r.actions) && r.actions.length > 0);
  }
  for (const s of scopes) {
    assert.equal(typeof s.scope, "string");
    assert.equal(typeof s.description, "string");
    assertPermissions(s.permissions);
  }
  const roleIds = roles.map((r) => r.role_id);
  const resourceIds = resources.map((r) => r.resource_id);
  assert.deepEqual(roleIds.slice(0, 2), ["stytch_member", "stytch_admin"]);
  for (const id of ["stytch.organization", "stytch.member", "stytch.sso", "stytch.self", "stytch.scim"]) {
    assert.ok(resourceIds.includes(id), id);
  }
  if (example) {
    assert.deepEqual(roleIds.slice(2), ["editor", "viewer"]);
    assert.ok(resourceIds.includes("documents"));
    assert.deepEqual(scopes.map((s) => s.scope), ["read:documents", "write:documents"]);
  }
});

test("rbac.organizations: set and get an organization's roles", async () => {
  const org = await createOrg();
  const role = {
    role_id: "member-searcher",
    description: "Searches members",
    permissions: [{ resource_id: "stytch.member", actions: ["search"] }],
  };
  const set = await client().rbac.organizations.setOrgPolicy({
    organization_id: org.organization_id,
    org_policy: { roles: [role] },
  });
  assertEnvelope(set);
  assert.deepEqual(set.org_policy.roles, [role]);
  const got = await client().rbac.organizations.getOrgPolicy({ organization_id: org.organization_id });
  assert.deepEqual(got.org_policy.roles, [role]);
  await expectStytchError(
    client().rbac.organizations.setOrgPolicy({
      organization_id: org.organization_id,
      org_policy: { roles: [{ ...role, role_id: "stytch_admin" }] },
    }),
    "rbac_role_duplicate",
    400,
  );
});
