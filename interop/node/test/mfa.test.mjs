// MFA through the official stytch Node SDK (B2BClient.totps, .recoveryCodes, .passwords): a
// password login to an organization that requires MFA answers with an intermediate session;
// TOTP create and authenticate exchange it for a full session with both factors; recovery
// codes get, rotate and recover; totps.migrate imports a secret.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { client, uniq, createOrg, expectStytchError, assertEnvelope } from "../lib/env.mjs";

// pyca/bcrypt test vector.
const HASH = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
const PASSWORD = "Kk4DQuMMfZL9o";

function base32Decode(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, "").toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) written here, not latchkey's: an authenticator app. */
function totp(secret, at = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, "0");
}

async function mfaMember() {
  const org = await createOrg({ mfa_policy: "REQUIRED_FOR_ALL" });
  const email = `mfa-${uniq()}@interop.example.com`;
  const m = await client().passwords.migrate({ organization_id: org.organization_id, email_address: email, hash_type: "bcrypt", hash: HASH });
  return { organization_id: org.organization_id, member_id: m.member_id, email };
}

async function intermediate({ organization_id, email }) {
  const r = await client().passwords.authenticate({ organization_id, email_address: email, password: PASSWORD });
  assertEnvelope(r);
  assert.equal(r.member_authenticated, false);
  assert.equal(r.session_token, "");
  assert.equal(r.session_jwt, "");
  assert.ok(r.intermediate_session_token);
  assert.equal(typeof r.mfa_required.member_options.totp_registration_id, "string");
  return r.intermediate_session_token;
}

test("password → intermediate session → TOTP → session with both factors", async () => {
  const who = await mfaMember();
  const { organization_id, member_id } = who;
  const ist = await intermediate(who);
  const created = await client().totps.create({ organization_id, member_id, intermediate_session_token: ist });
  assertEnvelope(created);
  assert.ok(created.qr_code.startsWith("data:image/png;base64,"));
  assert.equal(created.recovery_codes.length, 10);
  await expectStytchError(
    client().totps.authenticate({ organization_id, member_id, code: "000000", intermediate_session_token: ist }),
    "otp_code_not_found",
    401,
  );
  const code = totp(created.secret);
  const done = await client().totps.authenticate({ organization_id, member_id, code, intermediate_session_token: ist });
  assertEnvelope(done);
  assert.ok(done.session_token);
  assert.deepEqual(done.member_session.authentication_factors.map((f) => f.type), ["password", "totp"]);
  assert.equal(done.member.totp_registration_id, created.totp_registration_id);
  await expectStytchError(
    client().totps.authenticate({ organization_id, member_id, code, intermediate_session_token: ist }),
    "intermediate_session_not_found",
    404,
  );
  const s = await client().sessions.authenticate({ session_token: done.session_token });
  assert.equal(s.member_session.authentication_factors.length, 2);

  const got = await client().recoveryCodes.get({ organization_id, member_id });
  assertEnvelope(got);
  assert.deepEqual(got.recovery_codes, created.recovery_codes);
  const rotated = await client().recoveryCodes.rotate({ organization_id, member_id });
  assert.equal(rotated.recovery_codes.length, 10);
  const ist2 = await intermediate(who);
  await expectStytchError(
    client().recoveryCodes.recover({ organization_id, member_id, recovery_code: created.recovery_codes[0], intermediate_session_token: ist2 }),
    "unauthorized_credentials",
    401,
  );
  const recovered = await client().recoveryCodes.recover({
    organization_id, member_id, recovery_code: rotated.recovery_codes[0], intermediate_session_token: ist2,
  });
  assertEnvelope(recovered);
  assert.equal(recovered.recovery_codes_remaining, 9);
  assert.ok(recovered.session_jwt);
  assert.deepEqual(recovered.member_session.authentication_factors.map((f) => f.type), ["password", "recovery_codes"]);
});

test("totps.migrate imports a secret that then authenticates", async () => {
  const who = await mfaMember();
  const { organization_id, member_id } = who;
  const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
  const migrated = await client().totps.migrate({ organization_id, member_id, secret, recovery_codes: ["ckss-2skx-ebow"] });
  assertEnvelope(migrated);
  assert.deepEqual(migrated.recovery_codes, ["ckss-2skx-ebow"]);
  const ist = await intermediate(who);
  const done = await client().totps.authenticate({ organization_id, member_id, code: totp(secret), intermediate_session_token: ist });
  assert.ok(done.session_token);
});
