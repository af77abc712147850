// Stytch M2M through the official stytch Node SDK (B2BClient.m2m): clients CRUD, search, secret
// rotation, m2m.token and m2m.authenticateToken (local JWKS verification + scope checks).
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, uniq, expectStytchError, assertEnvelope, stytch } from "../lib/env.mjs";

test("m2m.clients: create, get, update, search, rotate, delete", async () => {
  const clients = client().m2m.clients;
  const name = `node-m2m-${uniq()}`;
  const res = await clients.create({ scopes: ["read:users", "write:users"], client_name: name, trusted_metadata: { team: "ops" } });
  assertEnvelope(res);
  const c = res.m2m_client;
  assert.ok(c.client_id.startsWith("m2m-client-test-"), c.client_id);
  assert.equal(c.client_secret.slice(-4), c.client_secret_last_four);
  assert.deepEqual(c.scopes, ["read:users", "write:users"]);
  assert.equal(c.status, "active");

  const got = (await clients.get({ client_id: c.client_id })).m2m_client;
  assert.equal(got.client_secret, undefined, "secret is shown only once");
  assert.deepEqual(got.trusted_metadata, { team: "ops" });

  const upd = (await clients.update({ client_id: c.client_id, client_description: "node", scopes: ["read:users"] })).m2m_client;
  assert.equal(upd.client_description, "node");
  assert.deepEqual(upd.scopes, ["read:users"]);

  const found = await clients.search({ query: { operator: "AND", operands: [{ filter_name: "client_name", filter_value: [name] }] } });
  assert.deepEqual(found.m2m_clients.map((x) => x.client_id), [c.client_id]);
  assert.equal(found.results_metadata.total, 1);

  const started = (await clients.secrets.rotateStart({ client_id: c.client_id })).m2m_client;
  assert.equal(started.next_client_secret.slice(-4), started.next_client_secret_last_four);
  await expectStytchError(clients.secrets.rotateStart({ client_id: c.client_id }), "m2m_client_already_rotating_secret", 400);
  const cancelled = (await clients.secrets.rotateCancel({ client_id: c.client_id })).m2m_client;
  assert.equal(cancelled.next_client_secret_last_four ?? null, null);
  const again = (await clients.secrets.rotateStart({ client_id: c.client_id })).m2m_client;
  const done = (await clients.secrets.rotate({ client_id: c.client_id })).m2m_client;
  assert.equal(done.client_secret_last_four, again.next_client_secret_last_four);

  const del = await clients.delete({ client_id: c.client_id });
  assert.equal(del.client_id, c.client_id);
  await expectStytchError(clients.get({ client_id: c.client_id }), "m2m_client_not_found", 404);
});

test("m2m.token and m2m.authenticateToken, with and without required scopes", async () => {
  const m2m = client().m2m;
  const { m2m_client: c } = await m2m.clients.create({ scopes: ["read:users", "write:users"], trusted_metadata: { team: "ops" } });
  const tok = await m2m.token({ client_id: c.client_id, client_secret: c.client_secret });
  assert.equal(tok.token_type, "bearer");
  assert.equal(tok.expires_in, 3600);

  const claims = await m2m.authenticateToken({ access_token: tok.access_token });
  assert.equal(claims.client_id, c.client_id);
  assert.deepEqual(claims.scopes, ["read:users", "write:users"]);
  assert.equal(claims.custom_claims.team, "ops");
  const ok = await m2m.authenticateToken({ access_token: tok.access_token, required_scopes: ["read:users"] });
  assert.equal(ok.client_id, c.client_id);
  await assert.rejects(
    m2m.authenticateToken({ access_token: tok.access_token, required_scopes: ["delete:users"] }),
    (e) => e instanceof stytch.ClientError && e.code === "missing_scopes",
  );

  const narrow = await m2m.token({ client_id: c.client_id, client_secret: c.client_secret, scopes: ["read:users"] });
  assert.deepEqual((await m2m.authenticateToken({ access_token: narrow.access_token })).scopes, ["read:users"]);
  await assert.rejects(
    m2m.authenticateToken({ access_token: narrow.access_token, required_scopes: ["write:users"] }),
    (e) => e instanceof stytch.ClientError && e.code === "missing_scopes",
  );
  await assert.rejects(m2m.token({ client_id: c.client_id, client_secret: c.client_secret, scopes: ["admin"] }));
  await assert.rejects(m2m.token({ client_id: c.client_id, client_secret: "wrong" }));

  await m2m.clients.update({ client_id: c.client_id, status: "inactive" });
  await assert.rejects(m2m.token({ client_id: c.client_id, client_secret: c.client_secret }));
});
