// Password reset through the official stytch Node SDK (B2BClient.passwords.email,
// .existingPassword, .sessions): mail a reset link, read its token from latchkey's outbox
// (`latchkey outbox --json`), reset with it, then reset with the old password and with the
// session; require_reset refuses a correct password until the reset.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { client, uniq, createOrg, expectStytchError, assertEnvelope, config } from "../lib/env.mjs";

const REDIRECT = "http://localhost:3000/reset";
// pyca/bcrypt test vector.
const HASH = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
const OLD = "Kk4DQuMMfZL9o";

function outboxToken(to) {
  const out = execFileSync(
    process.env.LATCHKEY_BIN,
    ["outbox", "--json", "--limit", "200", "--project", config().projectId],
    { env: { ...process.env, LATCHKEY_DATABASE_URL: process.env.LATCHKEY_DATABASE_URL }, encoding: "utf8" },
  );
  const mail = JSON.parse(out).find((m) => m.to_address === to);
  assert.ok(mail, `a mail to ${to} is in the outbox`);
  const link = new URL(mail.link);
  assert.equal(link.searchParams.get("stytch_token_type"), "multi_tenant_passwords");
  return link.searchParams.get("token");
}

async function memberWithPassword() {
  const org = await createOrg();
  const email = `reset-${uniq()}@interop.example.com`;
  await client().passwords.migrate({ organization_id: org.organization_id, email_address: email, hash_type: "bcrypt", hash: HASH });
  return { org, email };
}

test("email resetStart and reset, existingPassword.reset, sessions.reset", async () => {
  const { org, email } = await memberWithPassword();
  const organization_id = org.organization_id;
  const started = await client().passwords.email.resetStart({ organization_id, email_address: email, reset_password_redirect_url: REDIRECT });
  assertEnvelope(started);
  assert.ok(started.member_email_id);
  const token = outboxToken(email);
  await expectStytchError(client().passwords.email.reset({ password_reset_token: token, password: "password" }), "weak_password", 400);
  const reset = await client().passwords.email.reset({ password_reset_token: token, password: "violet-Harbor-42-lantern", session_duration_minutes: 60 });
  assertEnvelope(reset);
  assert.equal(reset.member_authenticated, true);
  assert.ok(reset.session_token);
  await expectStytchError(client().passwords.email.reset({ password_reset_token: token, password: "violet-Harbor-42-lantern" }), "unable_to_auth_magic_link", 401);

  await expectStytchError(
    client().passwords.existingPassword.reset({ organization_id, email_address: email, existing_password: OLD, new_password: "second-Lantern-83-quietly" }),
    "unauthorized_credentials",
    401,
  );
  const existing = await client().passwords.existingPassword.reset({
    organization_id, email_address: email, existing_password: "violet-Harbor-42-lantern", new_password: "second-Lantern-83-quietly", session_duration_minutes: 60,
  });
  assertEnvelope(existing);
  await expectStytchError(client().sessions.authenticate({ session_token: reset.session_token }), "session_not_found", 404);

  const bySession = await client().passwords.sessions.reset({ organization_id, session_token: existing.session_token, password: "third-Harbor-19-violet" });
  assertEnvelope(bySession);
  assert.equal(bySession.session_token, existing.session_token);
  const login = await client().passwords.authenticate({ organization_id, email_address: email, password: "third-Harbor-19-violet" });
  assert.equal(login.member_authenticated, true);
});

test("email requireReset refuses the password until a reset", async () => {
  const { org, email } = await memberWithPassword();
  const organization_id = org.organization_id;
  const r = await client().passwords.email.requireReset({ organization_id, email_address: email });
  assertEnvelope(r);
  await expectStytchError(client().passwords.authenticate({ organization_id, email_address: email, password: OLD }), "member_reset_password", 401);
});
