// Email magic links through the official stytch Node SDK (B2BClient.magicLinks): send a link,
// read its token from latchkey's outbox (`latchkey outbox --json`), redeem it, then use the
// session it made.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { client, uniq, createOrg, expectStytchError, assertEnvelope, config } from "../lib/env.mjs";

// Loopback: a test project accepts it unregistered, like Stytch's default test redirect URL.
const REDIRECT = "http://localhost:3000/authenticate";

function email(tag = "ml") {
  return `${tag}-${uniq()}@interop.example.com`;
}

/** The token of the newest link mailed to `to`, read with the latchkey CLI from the outbox. */
function outboxToken(to) {
  for (const k of ["LATCHKEY_BIN", "LATCHKEY_DATABASE_URL"]) {
    if (!process.env[k]) throw new Error(`latchkey interop: ${k} must be set to read the outbox`);
  }
  const out = execFileSync(
    process.env.LATCHKEY_BIN,
    ["outbox", "--json", "--limit", "200", "--project", config().projectId],
    { env: { ...process.env, LATCHKEY_DATABASE_URL: process.env.LATCHKEY_DATABASE_URL }, encoding: "utf8" },
  );
  const mail = JSON.parse(out).find((m) => m.to_address === to);
  assert.ok(mail, `a mail to ${to} is in the outbox`);
  const link = new URL(mail.link);
  assert.equal(link.searchParams.get("stytch_token_type"), "multi_tenant_magic_links");
  return link.searchParams.get("token");
}

test("loginOrSignup, authenticate, then sessions.authenticate", async () => {
  const org = await createOrg();
  const addr = email();
  const member = (await client().organizations.members.create({ organization_id: org.organization_id, email_address: addr })).member;
  const sent = await client().magicLinks.email.loginOrSignup({
    organization_id: org.organization_id,
    email_address: addr,
    login_redirect_url: REDIRECT,
  });
  assertEnvelope(sent);
  assert.equal(sent.member_id, member.member_id);
  assert.equal(sent.member_created, false);
  const token = outboxToken(addr);
  const auth = await client().magicLinks.authenticate({ magic_links_token: token, session_duration_minutes: 60 });
  assertEnvelope(auth);
  assert.equal(auth.member_id, member.member_id);
  assert.equal(auth.organization_id, org.organization_id);
  assert.equal(auth.member_authenticated, true);
  assert.equal(auth.member.email_address_verified, true);
  assert.equal(auth.member_session.authentication_factors[0].type, "magic_link");
  const s = await client().sessions.authenticate({ session_token: auth.session_token });
  assertEnvelope(s);
  assert.equal(s.member.member_id, member.member_id);
  await expectStytchError(client().magicLinks.authenticate({ magic_links_token: token }), "unable_to_auth_magic_link", 401);
});

test("signup by JIT provisioning and invites", async () => {
  const org = await createOrg({ email_jit_provisioning: "RESTRICTED", email_allowed_domains: ["interop.example.com"], email_invites: "ALL_ALLOWED" });
  const addr = email("jit");
  const sent = await client().magicLinks.email.loginOrSignup({ organization_id: org.organization_id, email_address: addr, signup_redirect_url: REDIRECT });
  assert.equal(sent.member_created, true);
  assert.equal(sent.member.status, "pending");
  const auth = await client().magicLinks.authenticate({ magic_links_token: outboxToken(addr) });
  assert.equal(auth.member.status, "active");

  const invitee = email("inv");
  const inv = await client().magicLinks.email.invite({ organization_id: org.organization_id, email_address: invitee, invite_redirect_url: REDIRECT, name: "Ivy" });
  assertEnvelope(inv);
  assert.equal(inv.member.status, "invited");
  const joined = await client().magicLinks.authenticate({ magic_links_token: outboxToken(invitee) });
  assert.equal(joined.member.status, "active");
  assert.equal(joined.member.name, "Ivy");
});

test("errors come back as StytchError", async () => {
  const org = await createOrg();
  await expectStytchError(
    client().magicLinks.email.loginOrSignup({ organization_id: org.organization_id, email_address: email(), signup_redirect_url: REDIRECT }),
    "email_jit_provisioning_not_allowed",
    403,
  );
  await expectStytchError(client().magicLinks.authenticate({ magic_links_token: "not-a-token" }), "magic_link_not_found", 404);
});
