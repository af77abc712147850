// Stytch's own frontend SDK against latchkey's /sdk/v1: the `@stytch/vanilla-js` 6.x B2B headless
// client (its IIFE build, unmodified) runs in a real headless Chromium on a page served from
// another loopback origin, pointed at the test server with `endpoints.testAPIURL`. The journey
// of a customer's own login and consent page: bootstrap, password login, session authenticate,
// self-service, the Connected Apps preflight with consent data and scope results, submit with
// consent (this relying party redeems the code and checks the ID token's nonce) and with
// refusal, logout; the SDK's form-post transport (`submitFormSDK`, as Stytch's own workbench
// calls it) lands at the client with a code; and a page on an origin the project has not
// authorized is refused.
// Env: LATCHKEY_BASE_URL, LATCHKEY_PROJECT_ID, LATCHKEY_SECRET (set by tests/api/sdk_browser.rs),
// CHROMIUM (default /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import http from "node:http";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const BASE = process.env.LATCHKEY_BASE_URL;
const AUTH = "Basic " + Buffer.from(`${process.env.LATCHKEY_PROJECT_ID}:${process.env.LATCHKEY_SECRET}`).toString("base64");
const PASSWORD = "Kk4DQuMMfZL9o"; // the pyca/bcrypt vector below
const BCRYPT = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
const REDIRECT = "http://127.0.0.1/callback";
const require = createRequire(import.meta.url);
const SDK_JS = require.resolve("@stytch/vanilla-js").replace(/dist\/.*$/, "dist/iife/b2b/index.headless.js");

let browser, pageServer, pageOrigin, publicToken;

async function api(method, path, body) {
  const resp = await fetch(`${BASE}${path}`, {
    method, headers: { authorization: AUTH, "content-type": "application/json" },
    body: body && JSON.stringify(body),
  });
  const json = await resp.json();
  assert.equal(resp.status, 200, JSON.stringify(json));
  return json;
}

const unique = () => crypto.randomBytes(4).toString("hex");
const b64url = (buf) => buf.toString("base64url");

before(async () => {
  const sdk = await readFile(SDK_JS);
  pageServer = http.createServer((req, res) => {
    if (req.url === "/stytch.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(sdk);
    } else {
      res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><title>login</title><script src="/stytch.js"></script><p>Customer login page</p>');
    }
  });
  await new Promise((r) => pageServer.listen(0, "127.0.0.1", r));
  pageOrigin = `http://127.0.0.1:${pageServer.address().port}`;
  // The public token is public: the project's listing hands it out (`latchkey project list`).
  const out = await fetch(`${BASE}/sdk/v1/projects/bootstrap/none`).then((r) => r.json());
  assert.equal(out.error_type, "invalid_public_token_id");
  publicToken = process.env.LATCHKEY_PUBLIC_TOKEN;
  assert.ok(publicToken, "LATCHKEY_PUBLIC_TOKEN");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
      // An origin that is not loopback, for the refusal: evil.test resolves to this machine.
      "--host-resolver-rules=MAP evil.test 127.0.0.1"],
  });
});

after(async () => {
  await browser?.close();
  pageServer?.close();
});

/** A page on `origin` with a StytchB2BClient as `window.client`. */
async function sdkPage(origin, waitForBootstrap = true) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const bootstrap = waitForBootstrap
    ? page.waitForResponse((r) => r.url().includes("/sdk/v1/projects/bootstrap/"), { timeout: 15000 }).catch(() => null)
    : null;
  await page.goto(`${origin}/`);
  await page.evaluate(({ token, base }) => {
    window.client = new window.stytch.StytchB2BClient(token, { endpoints: { testAPIURL: base } });
  }, { token: publicToken, base: BASE });
  return { page, bootstrap: await bootstrap };
}

test("a customer's login and consent page built on @stytch/vanilla-js", async () => {
  const { organization } = await api("POST", "/v1/b2b/organizations", { organization_name: "Acme", organization_slug: `acme-sdk-${unique()}` });
  const email = `ann-${unique()}@acme.io`;
  await api("POST", "/v1/b2b/passwords/migrate", { organization_id: organization.organization_id, email_address: email, hash_type: "bcrypt", hash: BCRYPT, name: "Ann Example" });
  const app = (await api("POST", "/v1/connected_apps/clients", {
    client_type: "third_party", client_name: "Acme Reports", client_description: "Weekly summaries", redirect_urls: [REDIRECT],
  })).connected_app;

  const { page, bootstrap } = await sdkPage(pageOrigin);
  assert.ok(bootstrap, "the SDK fetched its bootstrap");
  assert.equal(bootstrap.status(), 200);
  assert.equal(bootstrap.headers()["access-control-allow-origin"], pageOrigin);
  assert.equal(typeof (await bootstrap.json()).data.project_name, "string");

  const verifier = b64url(crypto.randomBytes(32));
  const challenge = b64url(crypto.createHash("sha256").update(verifier).digest());
  const out = await page.evaluate(async ({ orgId, email, password, clientId, redirect, challenge }) => {
    const c = window.client;
    const login = await c.passwords.authenticate({ organization_id: orgId, email_address: email, password, session_duration_minutes: 60 });
    const session = await c.session.authenticate();
    const self = await c.self.get();
    const renamed = await c.self.update({ name: "Ann E." });
    let escalation;
    try {
      await c.organization.members.update({ member_id: login.member_id, roles: ["stytch_admin"] });
      escalation = "allowed";
    } catch (e) {
      escalation = e.error_type || e.message;
    }
    const scopes = ["openid", "email", "profile"];
    const start = await c.idp.oauthAuthorizeStart({ client_id: clientId, redirect_uri: redirect, response_type: "code", scopes });
    const granted = await c.idp.oauthAuthorizeSubmit({ client_id: clientId, redirect_uri: redirect, response_type: "code", scopes, consent_granted: true, state: "s-1", nonce: "n-browser", code_challenge: challenge });
    const refused = await c.idp.oauthAuthorizeSubmit({ client_id: clientId, redirect_uri: redirect, response_type: "code", scopes, consent_granted: false, state: "s-2", code_challenge: challenge });
    const apps = await c.self.getConnectedApps();
    await c.session.revoke();
    return { login, session, self, renamed, escalation, start, granted, refused, apps };
  }, { orgId: organization.organization_id, email, password: PASSWORD, clientId: app.client_id, redirect: REDIRECT, challenge });

  assert.equal(out.login.member_authenticated, true);
  assert.ok(out.login.session_token);
  assert.equal(out.session.member_session.member_id, out.login.member_id);
  assert.equal(out.self.email_address ?? out.self.member?.email_address, email);
  assert.equal(out.renamed.member.name, "Ann E.");
  assert.equal(out.escalation, "session_authorization_error");
  assert.equal(out.start.consent_required, true);
  assert.equal(out.start.client.client_name ?? out.start.client.name, "Acme Reports");
  assert.ok(out.start.scope_results.length >= 3, JSON.stringify(out.start.scope_results));
  const granted = new URL(out.granted.redirect_uri);
  assert.equal(granted.searchParams.get("state"), "s-1");
  const code = granted.searchParams.get("code");
  assert.ok(code, out.granted.redirect_uri);
  const refused = new URL(out.refused.redirect_uri);
  assert.equal(refused.searchParams.get("error"), "access_denied");
  assert.equal(refused.searchParams.get("code"), null);
  assert.ok(JSON.stringify(out.apps.connected_apps).includes(app.client_id));
  // Logged out: the session is gone server-side.
  const gone = await fetch(`${BASE}/v1/b2b/sessions/authenticate`, {
    method: "POST", headers: { authorization: AUTH, "content-type": "application/json" },
    body: JSON.stringify({ session_token: out.login.session_token }),
  });
  assert.equal(gone.status, 404);

  // The relying party redeems the code and checks the nonce of the ID token.
  const tok = await fetch(`${BASE}/v1/oauth2/token`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: app.client_id, client_secret: app.client_secret, code_verifier: verifier }),
  }).then((r) => r.json());
  assert.ok(tok.id_token, JSON.stringify(tok));
  const claims = JSON.parse(Buffer.from(tok.id_token.split(".")[1], "base64url").toString());
  assert.equal(claims.nonce, "n-browser");
  assert.equal(claims.sub, out.login.member_id);
});

test("the SDK's form post (submitFormSDK) navigates to the client with a code", async () => {
  const { organization } = await api("POST", "/v1/b2b/organizations", { organization_name: "Acme", organization_slug: `acme-form-${unique()}` });
  const email = `fay-${unique()}@acme.io`;
  await api("POST", "/v1/b2b/passwords/migrate", { organization_id: organization.organization_id, email_address: email, hash_type: "bcrypt", hash: BCRYPT });
  const app = (await api("POST", "/v1/connected_apps/clients", { client_type: "third_party", client_name: "Acme Forms", redirect_urls: [REDIRECT] })).connected_app;
  const { page } = await sdkPage(pageOrigin);
  // The registered loopback URL has no port, so any port matches (RFC 8252 §7.3): the page
  // server answers the callback.
  const callback = `${pageOrigin}/callback`;
  const verifier = b64url(crypto.randomBytes(32));
  const challenge = b64url(crypto.createHash("sha256").update(verifier).digest());
  const landed = page.waitForURL(`${callback}?**`, { timeout: 20000 });
  await page.evaluate(async ({ orgId, email, password, clientId, redirect, challenge }) => {
    await window.client.passwords.authenticate({ organization_id: orgId, email_address: email, password, session_duration_minutes: 60 });
    // A hidden form with __Authorization / __X-SDK-Client / __X-SDK-Parent-Host; the page navigates.
    window.client._networkClient.submitFormSDK({
      url: "/b2b/oauth/authorize", method: "POST",
      body: { client_id: clientId, redirect_uri: redirect, response_type: "code", scopes: ["openid", "email"], consent_granted: true, state: "s-form", nonce: "n-form", code_challenge: challenge },
    });
  }, { orgId: organization.organization_id, email, password: PASSWORD, clientId: app.client_id, redirect: callback, challenge });
  await landed;
  const url = new URL(page.url());
  assert.equal(url.searchParams.get("state"), "s-form");
  const tok = await fetch(`${BASE}/v1/oauth2/token`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code: url.searchParams.get("code"), redirect_uri: callback, client_id: app.client_id, client_secret: app.client_secret, code_verifier: verifier }),
  }).then((r) => r.json());
  assert.ok(tok.id_token, JSON.stringify(tok));
  assert.equal(JSON.parse(Buffer.from(tok.id_token.split(".")[1], "base64url").toString()).nonce, "n-form");
});

test("a page on an origin the project has not authorized is refused", async () => {
  const evil = `http://evil.test:${pageServer.address().port}`;
  const { page } = await sdkPage(evil, false);
  const err = await page.evaluate(async () => {
    try {
      await window.client.passwords.authenticate({ organization_id: "organization-test-x", email_address: "a@b.io", password: "x", session_duration_minutes: 60 });
      return "served";
    } catch (e) {
      return e.name || e.message;
    }
  });
  assert.notEqual(err, "served");
  // Nor does its form post (a cross-site navigation, no CORS preflight) reach the authorization.
  const answer = page.waitForResponse((r) => r.url().endsWith("/sdk/v1/b2b/oauth/authorize"), { timeout: 15000 });
  await page.evaluate(() => window.client._networkClient.submitFormSDK({
    url: "/b2b/oauth/authorize", method: "POST", body: { client_id: "x", redirect_uri: "http://127.0.0.1/callback", response_type: "code", scopes: ["openid"], consent_granted: true },
  }));
  const resp = await answer;
  assert.equal(resp.status(), 403);
  assert.equal(resp.headers()["location"], undefined);
  assert.match(await resp.text(), /bad_domain_for_stytch_sdk/);
});
