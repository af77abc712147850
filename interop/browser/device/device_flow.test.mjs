// The device authorization grant (RFC 8628) in a real headless Chromium: this script plays the
// browserless device (it starts the device request and polls the token endpoint as a CLI agent
// would); Chromium opens verification_uri, types the user code, signs in and consents on the
// same pages as the authorization code flow; the next poll gets the tokens.
// Env: LATCHKEY_BASE_URL, LATCHKEY_PROJECT_ID, LATCHKEY_SECRET (set by tests/api/device_flow.rs),
// CHROMIUM (default /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { chromium } from "playwright-core";

const BASE = process.env.LATCHKEY_BASE_URL;
const AUTH = "Basic " + Buffer.from(`${process.env.LATCHKEY_PROJECT_ID}:${process.env.LATCHKEY_SECRET}`).toString("base64");
const PASSWORD = "Kk4DQuMMfZL9o"; // the pyca/bcrypt vector below
const BCRYPT = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
const GRANT = "urn:ietf:params:oauth:grant-type:device_code";

let browser;

async function api(method, path, body) {
  const resp = await fetch(`${BASE}${path}`, {
    method, headers: { authorization: AUTH, "content-type": "application/json" },
    body: body && JSON.stringify(body),
  });
  const json = await resp.json();
  assert.equal(resp.status, 200, JSON.stringify(json));
  return json;
}

async function form(path, fields) {
  const resp = await fetch(`${BASE}${path}`, { method: "POST", body: new URLSearchParams(fields) });
  return { status: resp.status, body: await resp.json() };
}

const unique = () => crypto.randomBytes(4).toString("hex");

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

after(async () => { await browser?.close(); });

test("a CLI agent gets tokens after the member enters the code in Chromium", async () => {
  const email = `dev-${unique()}@acme.io`;
  const { organization } = await api("POST", "/v1/b2b/organizations", { organization_name: "Acme", organization_slug: `acme-${unique()}` });
  await api("POST", "/v1/b2b/passwords/migrate", { organization_id: organization.organization_id, email_address: email, hash_type: "bcrypt", hash: BCRYPT });
  const created = await api("POST", "/v1/connected_apps/clients", {
    client_type: "third_party_public", client_name: "Acme CLI", client_description: "A command-line agent.",
    redirect_urls: ["http://127.0.0.1/callback"],
  });
  const clientId = created.connected_app.client_id;
  await api("PUT", `/v1/connected_apps/clients/${clientId}`, { device_code_allowed: true });

  // The device: RFC 8628 §3.1.
  const start = await form("/v1/oauth2/device_authorization", { client_id: clientId, scope: "openid email offline_access" });
  assert.equal(start.status, 200, JSON.stringify(start.body));
  const { device_code, user_code, verification_uri, interval } = start.body;
  const poll = () => form("/v1/oauth2/token", { client_id: clientId, grant_type: GRANT, device_code });
  assert.equal((await poll()).body.error, "authorization_pending");

  // The member, in Chromium: the page, the code, the login, the consent.
  const page = await (await browser.newContext()).newPage();
  await page.goto(verification_uri);
  await page.getByLabel("Code").fill(user_code);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByLabel("Work email").fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Allow" }).click();
  await page.getByRole("heading", { name: "Device connected" }).waitFor();
  await page.context().close();

  // The device keeps polling at its interval (slow_down adds 5 seconds) until the tokens come.
  let wait = interval;
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, wait * 1000));
    const r = await poll();
    if (r.status === 200) {
      assert.equal(r.body.token_type, "bearer");
      assert.ok(r.body.id_token && r.body.refresh_token, JSON.stringify(r.body));
      const me = await fetch(`${BASE}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${r.body.access_token}` } });
      assert.equal((await me.json()).email, email);
      return;
    }
    if (r.body.error === "slow_down") wait += 5;
    else assert.equal(r.body.error, "authorization_pending", JSON.stringify(r.body));
  }
  assert.fail("the device never got its tokens");
});
