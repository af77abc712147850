// Password logins and session JWTs through the official stytch Node SDK: passwords.migrate /
// authenticate / strengthCheck, sessions.authenticateJwtLocal (JWKS fetched by the SDK),
// sessions.authenticate over the network with and without authorization_check, revoke, and a
// signing-key rotation by the `latchkey keys rotate` CLI.
// Everything JWT-related lives in this one file, so the rotation at the end cannot race another file.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as jose from "jose";
import { stytch, client, config, baseUrl, uniq, createOrg, expectStytchError, assertEnvelope } from "../lib/env.mjs";

// pyca/bcrypt test vector.
const HASH = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
const PASSWORD = "Kk4DQuMMfZL9o";

let org;
before(async () => {
  org = await createOrg();
});

async function memberWithPassword(roles = []) {
  const email = `pw-${uniq()}@interop.example.com`;
  const res = await client().passwords.migrate({
    organization_id: org.organization_id,
    email_address: email,
    hash_type: "bcrypt",
    hash: HASH,
    roles,
  });
  assertEnvelope(res);
  assert.equal(res.member_created, true);
  assert.ok(res.member.member_password_id.startsWith("member-password-"));
  return res.member;
}

async function login(member, extra = {}) {
  return client().passwords.authenticate({
    organization_id: org.organization_id,
    email_address: member.email_address,
    password: PASSWORD,
    session_duration_minutes: 60,
    ...extra,
  });
}

/** A fresh client: its JWKS cache starts empty. */
function freshClient() {
  const c = config();
  return new stytch.B2BClient({ project_id: c.projectId, secret: c.secret, env: baseUrl() });
}

function check(orgId) {
  return { organization_id: orgId, resource_id: "stytch.member", action: "delete" };
}

test("password login, then the session JWT verifies locally and over the network", async () => {
  const admin = await memberWithPassword(["stytch_admin"]);
  const res = await login(admin);
  assertEnvelope(res);
  assert.equal(res.member_authenticated, true);
  assert.equal(res.intermediate_session_token, "");
  assert.equal(res.member.member_id, admin.member_id);
  assert.equal(res.member_session.authentication_factors[0].type, "password");

  const local = await client().sessions.authenticateJwtLocal({ session_jwt: res.session_jwt });
  assert.equal(local.member_id, admin.member_id);
  assert.equal(local.organization_id, org.organization_id);
  assert.equal(local.member_session_id, res.member_session.member_session_id);
  assert.ok(local.roles.includes("stytch_admin"));

  const remote = await client().sessions.authenticate({ session_jwt: res.session_jwt });
  assert.equal(remote.member_session.member_session_id, res.member_session.member_session_id);
  // authenticateJwt: local first, falling back to the network.
  const either = await client().sessions.authenticateJwt({ session_jwt: res.session_jwt });
  assert.equal(either.member_session.member_id, admin.member_id);

  const allowed = await client().sessions.authenticate({
    session_token: res.session_token,
    authorization_check: check(org.organization_id),
  });
  assert.equal(allowed.verdict.authorized, true);
  assert.ok(allowed.verdict.granting_roles.includes("stytch_admin"));
});

test("authorization_check refuses a plain member", async () => {
  const plain = await memberWithPassword();
  const res = await login(plain);
  await expectStytchError(
    client().sessions.authenticate({ session_jwt: res.session_jwt, authorization_check: check(org.organization_id) }),
    "session_authorization_error",
    403,
  );
});

test("tampered and foreign-key JWTs fail locally and over the network", async () => {
  const m = await memberWithPassword();
  const res = await login(m);
  const [h, p, s] = res.session_jwt.split(".");
  const tampered = `${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
  const { privateKey } = await jose.generateKeyPair("RS256");
  const claims = jose.decodeJwt(res.session_jwt);
  const { kid } = jose.decodeProtectedHeader(res.session_jwt);
  const forged = await new jose.SignJWT(claims).setProtectedHeader({ alg: "RS256", typ: "JWT", kid: "jwk-test-forged" }).sign(privateKey);
  const sameKid = await new jose.SignJWT(claims).setProtectedHeader({ alg: "RS256", typ: "JWT", kid }).sign(privateKey);
  for (const jwt of [tampered, forged, sameKid]) {
    await assert.rejects(client().sessions.authenticateJwtLocal({ session_jwt: jwt }), (e) => {
      assert.equal(e.code, "jwt_invalid", String(e));
      return true;
    });
    await expectStytchError(client().sessions.authenticate({ session_jwt: jwt }), "invalid_signature", 401);
  }
});

test("bad passwords and unknown emails are the same 401; strength check", async () => {
  const m = await memberWithPassword();
  await expectStytchError(login(m, { password: "wrong" }), "unauthorized_credentials", 401);
  await expectStytchError(
    login({ email_address: `ghost-${uniq()}@interop.example.com` }),
    "unauthorized_credentials",
    401,
  );
  await expectStytchError(
    client().passwords.migrate({ organization_id: org.organization_id, email_address: "x@interop.example.com", hash_type: "bcrypt", hash: "nope" }),
    "invalid_bcrypt_hash",
    400,
  );
  const weak = await client().passwords.strengthCheck({ password: "password" });
  assert.equal(weak.valid_password, false);
  assert.equal(weak.strength_policy, "zxcvbn");
  const strong = await client().passwords.strengthCheck({ password: "correct-horse-battery-staple-9!" });
  assert.equal(strong.valid_password, true);
  assert.equal(strong.score, 4);
});

test("a revoked session fails over the network (its JWT still verifies locally until exp)", async () => {
  const m = await memberWithPassword();
  const res = await login(m);
  const extended = await login(m, { session_token: res.session_token });
  assert.equal(extended.member_session.member_session_id, res.member_session.member_session_id);
  await client().sessions.revoke({ session_token: res.session_token });
  await expectStytchError(client().sessions.authenticate({ session_token: res.session_token }), "session_not_found", 404);
  await expectStytchError(client().sessions.authenticate({ session_jwt: res.session_jwt }), "session_not_found", 404);
  const local = await client().sessions.authenticateJwtLocal({ session_jwt: res.session_jwt });
  assert.equal(local.member_id, m.member_id, "local verification is stateless by design");
});

test("a key rotation keeps earlier JWTs valid locally and over the network", async () => {
  const bin = process.env.LATCHKEY_BIN;
  const dbUrl = process.env.LATCHKEY_DATABASE_URL;
  assert.ok(bin && dbUrl, "LATCHKEY_BIN and LATCHKEY_DATABASE_URL must be set");
  const m = await memberWithPassword();
  const before = await login(m);
  const oldKid = jose.decodeProtectedHeader(before.session_jwt).kid;
  await client().sessions.authenticateJwtLocal({ session_jwt: before.session_jwt });

  const out = execFileSync(bin, ["--database-url", dbUrl, "keys", "rotate", "--project", config().projectId], {
    encoding: "utf8",
  });
  const active = /active:\s+(\S+)/.exec(out)?.[1];
  assert.ok(active && active !== oldKid, `rotate output: ${out}`);

  const jwks = await (await fetch(new URL(`/v1/b2b/sessions/jwks/${config().projectId}`, baseUrl()))).json();
  const kids = jwks.keys.map((k) => k.kid);
  assert.ok(kids.includes(active), `new active key published: ${kids}`);
  assert.ok(kids.includes(oldKid), `retired key still published: ${kids}`);

  const fresh = freshClient();
  const local = await fresh.sessions.authenticateJwtLocal({ session_jwt: before.session_jwt });
  assert.equal(local.member_id, m.member_id);
  const remote = await fresh.sessions.authenticate({ session_jwt: before.session_jwt });
  assert.equal(remote.member.member_id, m.member_id);
  // A JWT minted after the rotation verifies with a fresh client too.
  const after = await login(m);
  const again = await freshClient().sessions.authenticateJwtLocal({ session_jwt: after.session_jwt });
  assert.equal(again.member_id, m.member_id);
});
