// One-time passcodes through the official stytch Node SDK (B2BClient.otps.email, .otps.sms):
// an email code signs a new member up and logs them in; an SMS code steps a password session
// up. Codes are read from latchkey's outbox (`latchkey outbox --json`, SMS included).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { client, uniq, createOrg, expectStytchError, assertEnvelope, config } from "../lib/env.mjs";

const HASH = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
const PASSWORD = "Kk4DQuMMfZL9o";

/** The six-digit code of the newest mail or SMS to `to`. */
function outboxCode(to) {
  const out = execFileSync(
    process.env.LATCHKEY_BIN,
    ["outbox", "--json", "--limit", "200", "--project", config().projectId],
    { env: { ...process.env, LATCHKEY_DATABASE_URL: process.env.LATCHKEY_DATABASE_URL }, encoding: "utf8" },
  );
  const msg = JSON.parse(out).find((m) => m.to_address === to);
  assert.ok(msg, `something was sent to ${to}`);
  const text = msg.channel === "sms" ? msg.text_body : msg.subject;
  const code = text.match(/\b\d{6}\b/);
  assert.ok(code, text);
  return code[0];
}

const wrong = (code) => (code[0] === "9" ? "1" : "9") + code.slice(1);

test("otps.email.loginOrSignup and authenticate", async () => {
  const domain = `otp${uniq()}.example.com`;
  const org = await createOrg({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: [domain] });
  const email = `otp-${uniq()}@${domain}`;
  const sent = await client().otps.email.loginOrSignup({ organization_id: org.organization_id, email_address: email });
  assertEnvelope(sent);
  assert.equal(sent.member_created, true);
  const code = outboxCode(email);
  await expectStytchError(
    client().otps.email.authenticate({ organization_id: org.organization_id, email_address: email, code: wrong(code) }),
    "unable_to_auth_otp_code",
    401,
  );
  const auth = await client().otps.email.authenticate({
    organization_id: org.organization_id, email_address: email, code, session_duration_minutes: 30,
  });
  assertEnvelope(auth);
  assert.equal(auth.member_authenticated, true);
  assert.equal(auth.member.status, "active");
  assert.equal(auth.member_session.authentication_factors[0].type, "email_otp");
  const s = await client().sessions.authenticate({ session_token: auth.session_token });
  assert.equal(s.member.member_id, auth.member_id);
  await expectStytchError(
    client().otps.email.authenticate({ organization_id: org.organization_id, email_address: email, code }),
    "unable_to_auth_otp_code",
    401,
  );
});

test("otps.sms.send and authenticate step a session up", async () => {
  const org = await createOrg();
  const email = `sms-${uniq()}@interop.example.com`;
  const migrated = await client().passwords.migrate({ organization_id: org.organization_id, email_address: email, hash_type: "bcrypt", hash: HASH });
  const member_id = migrated.member.member_id;
  const login = await client().passwords.authenticate({ organization_id: org.organization_id, email_address: email, password: PASSWORD });
  const phone = `+1202555${String(Math.floor(Math.random() * 10000)).padStart(4, "0")}`;
  await expectStytchError(
    client().otps.sms.send({ organization_id: org.organization_id, member_id, mfa_phone_number: "555" }),
    "invalid_phone_number",
    400,
  );
  const sent = await client().otps.sms.send({ organization_id: org.organization_id, member_id, mfa_phone_number: phone, session_token: login.session_token });
  assertEnvelope(sent);
  assert.equal(sent.member.mfa_phone_number, phone);
  const code = outboxCode(phone);
  const auth = await client().otps.sms.authenticate({ organization_id: org.organization_id, member_id, code, session_token: login.session_token });
  assertEnvelope(auth);
  assert.equal(auth.session_token, login.session_token);
  assert.equal(auth.member.mfa_phone_number_verified, true);
  const types = auth.member_session.authentication_factors.map((f) => `${f.type}/${f.delivery_method}`);
  assert.deepEqual(types.sort(), ["otp/sms", "password/knowledge"]);
  await expectStytchError(
    client().otps.sms.authenticate({ organization_id: org.organization_id, member_id, code, session_token: login.session_token }),
    "unable_to_auth_otp_code",
    401,
  );
});

test("intermediate session round trip: email code, then SMS code completes MFA", async () => {
  const domain = `mfa${uniq()}.example.com`;
  const org = await createOrg({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: [domain], mfa_policy: "REQUIRED_FOR_ALL" });
  const organization_id = org.organization_id;
  const email = `mfa-${uniq()}@${domain}`;
  await client().otps.email.loginOrSignup({ organization_id, email_address: email });
  const first = await client().otps.email.authenticate({ organization_id, email_address: email, code: outboxCode(email) });
  assert.equal(first.member_authenticated, false);
  assert.equal(first.session_token, "");
  assert.ok(first.intermediate_session_token);
  const phone = `+1202555${String(Math.floor(Math.random() * 10000)).padStart(4, "0")}`;
  const member_id = first.member_id;
  const ist = first.intermediate_session_token;
  await client().otps.sms.send({ organization_id, member_id, mfa_phone_number: phone, intermediate_session_token: ist });
  const done = await client().otps.sms.authenticate({ organization_id, member_id, code: outboxCode(phone), intermediate_session_token: ist, session_duration_minutes: 30 });
  assertEnvelope(done);
  assert.ok(done.session_token && done.session_jwt);
  assert.deepEqual(done.member_session.authentication_factors.map((f) => f.type).sort(), ["email_otp", "otp"]);
  assert.equal(done.member.mfa_enrolled, true);
  await expectStytchError(
    client().otps.sms.send({ organization_id, member_id, intermediate_session_token: ist }),
    "intermediate_session_not_found",
    404,
  );
});
