// DPoP (RFC 9449) with a client library we did not write: panva's `dpop` (npm) makes the key
// and the proofs; the official stytch SDK creates the M2M client. The client_credentials token
// comes back DPoP-bound (token_type DPoP, cnf.jkt = the library's thumbprint of the key); the
// same proof replayed, and a proof for another URL, are refused with invalid_dpop_proof.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPair, generateProof, calculateThumbprint } from "dpop";
import { client, config, uniq } from "../lib/env.mjs";

const tokenUrl = () => `${config().baseUrl.replace(/\/+$/, "")}/v1/oauth2/token`;

async function token(c, proof) {
  const resp = await fetch(tokenUrl(), {
    method: "POST",
    headers: { DPoP: proof, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: c.client_id, client_secret: c.client_secret, scope: "read:users" }),
  });
  return { status: resp.status, body: await resp.json() };
}

test("dpop (npm): a bound M2M token, a replayed proof and a proof for another URL", async () => {
  const { m2m_client: c } = await client().m2m.clients.create({ scopes: ["read:users"], client_name: `node-dpop-${uniq()}` });
  const keypair = await generateKeyPair("ES256");
  const proof = await generateProof(keypair, tokenUrl(), "POST");
  const ok = await token(c, proof);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.token_type, "DPoP");
  const claims = JSON.parse(Buffer.from(ok.body.access_token.split(".")[1], "base64url"));
  assert.equal(claims.cnf.jkt, await calculateThumbprint(keypair.publicKey));

  const replay = await token(c, proof);
  assert.equal(replay.status, 400);
  assert.equal(replay.body.error, "invalid_dpop_proof");

  const elsewhere = await generateProof(keypair, tokenUrl().replace("/token", "/introspect"), "POST");
  assert.equal((await token(c, elsewhere)).body.error, "invalid_dpop_proof");

  // An Ed25519 key works too: the library sends the fully-specified alg "Ed25519" (RFC 9864).
  const ed = await generateKeyPair("Ed25519");
  const edOk = await token(c, await generateProof(ed, tokenUrl(), "POST"));
  assert.equal(edOk.status, 200, JSON.stringify(edOk.body));
  assert.equal(JSON.parse(Buffer.from(edOk.body.access_token.split(".")[1], "base64url")).cnf.jkt, await calculateThumbprint(ed.publicKey));
});
