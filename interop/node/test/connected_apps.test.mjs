// Connected App clients through the official stytch Node SDK (B2BClient.connectedApp.clients).
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, uniq, expectStytchError, assertEnvelope, allPages } from "../lib/env.mjs";

const TYPES = ["first_party", "first_party_public", "third_party", "third_party_public"];

function assertAppShape(app) {
  for (const k of ["client_id", "client_name", "client_description", "status", "client_type", "access_token_template_content", "creation_method", "id_token_template_content"]) {
    assert.equal(typeof app[k], "string", `connected_app.${k} is a string (got ${JSON.stringify(app[k])})`);
  }
  for (const k of ["full_access_allowed", "bypass_consent_for_offline_access"]) assert.equal(typeof app[k], "boolean", k);
  for (const k of ["redirect_urls", "post_logout_redirect_urls"]) assert.ok(Array.isArray(app[k]), k);
  assert.equal(typeof app.access_token_expiry_minutes, "number");
  assert.ok(app.client_id.startsWith("connected-app-test-"), app.client_id);
}

test("create, get, update and delete each client type", async () => {
  const clients = client().connectedApp.clients;
  for (const client_type of TYPES) {
    const confidential = !client_type.endsWith("_public");
    const res = await clients.create({
      client_type,
      client_name: `Interop ${client_type} ${uniq()}`,
      client_description: "made by the node SDK",
      redirect_urls: ["https://app.example.com/cb", "http://127.0.0.1/cb"],
      access_token_expiry_minutes: 15,
    });
    assertEnvelope(res);
    const app = res.connected_app;
    assertAppShape(app);
    assert.equal(app.client_type, client_type);
    assert.equal(app.access_token_expiry_minutes, 15);
    if (confidential) {
      assert.equal(typeof app.client_secret, "string");
      assert.equal(app.client_secret.slice(-4), app.client_secret_last_four);
    } else {
      assert.equal(app.client_secret ?? null, null);
    }

    const got = await clients.get({ client_id: app.client_id });
    assertAppShape(got.connected_app);
    assert.equal(got.connected_app.client_secret, undefined, "secret is shown only once");
    assert.equal(got.connected_app.client_name, app.client_name);

    const upd = await clients.update({ client_id: app.client_id, client_name: "Renamed", logo_url: "https://cdn.example.com/l.png" });
    assert.equal(upd.connected_app.client_name, "Renamed");
    assert.equal(upd.connected_app.logo_url, "https://cdn.example.com/l.png");
    assert.equal(upd.connected_app.client_description, "made by the node SDK");

    const del = await clients.delete({ client_id: app.client_id });
    assertEnvelope(del);
    assert.equal(del.client_id, app.client_id);
    await expectStytchError(clients.get({ client_id: app.client_id }), "connected_app_not_found", 404);
  }
});

test("search pages through every client", async () => {
  const clients = client().connectedApp.clients;
  const ids = [];
  for (let i = 0; i < 3; i++) {
    ids.push((await clients.create({ client_type: "third_party_public", client_name: `page ${i}` })).connected_app.client_id);
  }
  const pages = await allPages((req) => clients.search(req), { limit: 2 });
  const seen = pages.flatMap((p) => p.connected_apps.map((a) => a.client_id));
  for (const id of ids) assert.ok(seen.includes(id), `${id} found by search`);
  assert.equal(typeof pages[0].results_metadata.total, "number");
  assert.ok(pages[0].connected_apps.length <= 2);
});

test("secret rotation start, cancel, start and complete", async () => {
  const clients = client().connectedApp.clients;
  const { connected_app: app } = await clients.create({ client_type: "first_party", client_name: "rotating" });
  const client_id = app.client_id;
  await expectStytchError(clients.secrets.rotate({ client_id }), "connected_app_not_rotating_secret", 400);
  const started = await clients.secrets.rotateStart({ client_id });
  const next = started.connected_app.next_client_secret;
  assert.equal(typeof next, "string");
  assert.equal(started.connected_app.next_client_secret_last_four, next.slice(-4));
  assert.equal(started.connected_app.client_secret_last_four, app.client_secret_last_four);
  await expectStytchError(clients.secrets.rotateStart({ client_id }), "connected_app_already_rotating_secret", 400);
  const cancelled = await clients.secrets.rotateCancel({ client_id });
  assert.equal(cancelled.connected_app.next_client_secret_last_four ?? null, null);
  await expectStytchError(clients.secrets.rotateCancel({ client_id }), "connected_app_not_rotating_secret", 400);
  const again = await clients.secrets.rotateStart({ client_id });
  const done = await clients.secrets.rotate({ client_id });
  assert.equal(done.connected_app.client_secret_last_four, again.connected_app.next_client_secret.slice(-4));

  const { connected_app: pub } = await clients.create({ client_type: "first_party_public" });
  await expectStytchError(clients.secrets.rotateStart({ client_id: pub.client_id }), "public_connected_apps_do_not_have_secrets", 400);
});

test("validation errors come back as StytchError", async () => {
  const clients = client().connectedApp.clients;
  await expectStytchError(clients.create({ client_type: "third_party", full_access_allowed: true }), "third_party_clients_cannot_use_full_access", 400);
  await expectStytchError(clients.create({ client_type: "first_party", redirect_urls: ["http://localhost:3000/cb"] }), "connected_app_redirect_url_cannot_use_localhost", 400);
  await expectStytchError(clients.create({ client_type: "nope" }), "invalid_connected_app_type", 400);
});
