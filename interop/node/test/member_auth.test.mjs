// Member-scoped authorization through the official stytch Node SDK's `authorization` option
// (`{ authorization: { session_token } }` / `{ session_jwt }` become X-Stytch-Member-Session /
// X-Stytch-Member-SessionJWT): the request runs with the member's RBAC permissions
// (security review finding #3).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { client, uniq, createOrg, expectStytchError, assertEnvelope } from "../lib/env.mjs";

// pyca/bcrypt test vector.
const HASH = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
const PASSWORD = "Kk4DQuMMfZL9o";

let org;
before(async () => {
  org = await createOrg();
});

async function loggedIn(roles = []) {
  const email = `ma-${uniq()}@interop.example.com`;
  const m = await client().passwords.migrate({
    organization_id: org.organization_id,
    email_address: email,
    hash_type: "bcrypt",
    hash: HASH,
    roles,
  });
  const res = await client().passwords.authenticate({
    organization_id: org.organization_id,
    email_address: email,
    password: PASSWORD,
    session_duration_minutes: 60,
  });
  return { member: m.member, session_token: res.session_token, session_jwt: res.session_jwt };
}

test("a plain member cannot grant himself stytch_admin or delete another member", async () => {
  const bob = await loggedIn();
  const other = await loggedIn();
  const auth = { authorization: { session_token: bob.session_token } };
  await expectStytchError(
    client().organizations.members.update(
      { organization_id: org.organization_id, member_id: bob.member.member_id, roles: ["stytch_admin"] },
      auth,
    ),
    "session_authorization_error",
    403,
  );
  await expectStytchError(
    client().organizations.members.delete(
      { organization_id: org.organization_id, member_id: other.member.member_id },
      { authorization: { session_jwt: bob.session_jwt } },
    ),
    "session_authorization_error",
    403,
  );
  await expectStytchError(
    client().organizations.update({ organization_id: org.organization_id, organization_name: "Bob's" }, auth),
    "session_authorization_error",
    403,
  );
  const got = await client().organizations.members.get({
    organization_id: org.organization_id,
    member_id: bob.member.member_id,
  });
  assert.ok(!got.member.roles.some((r) => r.role_id === "stytch_admin"), JSON.stringify(got.member.roles));
  // stytch.self: his own name is his to change.
  const res = await client().organizations.members.update(
    { organization_id: org.organization_id, member_id: bob.member.member_id, name: "Bob" },
    auth,
  );
  assertEnvelope(res);
  assert.equal(res.member.name, "Bob");
});

test("a garbage session is 401, never the project's full rights", async () => {
  for (const authorization of [{ session_token: "garbage" }, { session_jwt: "garbage" }]) {
    let err;
    try {
      await client().organizations.update(
        { organization_id: org.organization_id, organization_name: "Pwned" },
        { authorization },
      );
    } catch (e) {
      err = e;
    }
    assert.ok(err, "refused");
    assert.equal(err.status_code, 401, err.message);
  }
  const got = await client().organizations.get({ organization_id: org.organization_id });
  assert.notEqual(got.organization.organization_name, "Pwned");
});

test("an admin acts within their organization", async () => {
  const admin = await loggedIn(["stytch_admin"]);
  const carol = await loggedIn();
  const auth = { authorization: { session_token: admin.session_token } };
  const res = await client().organizations.members.update(
    { organization_id: org.organization_id, member_id: carol.member.member_id, roles: ["stytch_admin"] },
    auth,
  );
  assertEnvelope(res);
  const del = await client().organizations.members.delete(
    { organization_id: org.organization_id, member_id: carol.member.member_id },
    { authorization: { session_jwt: admin.session_jwt } },
  );
  assertEnvelope(del);
  const other = await createOrg();
  await expectStytchError(
    client().organizations.update({ organization_id: other.organization_id, organization_name: "Mine" }, auth),
    "session_authorization_tenancy_error",
    403,
  );
});
