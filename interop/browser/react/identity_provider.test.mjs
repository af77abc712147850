// `@stytch/react`'s prebuilt `<B2BIdentityProvider/>` (npm, unmodified; bundled here by esbuild
// from npm packages, no network) in a real headless Chromium against latchkey's /sdk/v1: a
// customer's Authorization URL page on another loopback origin, pointed at the test server with
// `endpoints.testAPIURL`. The member logs in with the SDK, the component renders its consent
// screen from the OAuth request in the page's URL (`oauthAuthorizeStart`), a click on Deny
// lands at the client with `error=access_denied`, a click on Allow with a code that this relying
// party redeems (and checks the ID token's nonce). The same component on the RP's logout request
// (`post_logout_redirect_uri`) asks "Log out?" without a hint, and with a verified
// `id_token_hint` ends the session and lands at the RP's post-logout URL.
// Env: LATCHKEY_BASE_URL, LATCHKEY_PROJECT_ID, LATCHKEY_SECRET, LATCHKEY_PUBLIC_TOKEN (set by
// tests/api/sdk_browser.rs), CHROMIUM (default /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";

const BASE = process.env.LATCHKEY_BASE_URL;
const AUTH = "Basic " + Buffer.from(`${process.env.LATCHKEY_PROJECT_ID}:${process.env.LATCHKEY_SECRET}`).toString("base64");
const PUBLIC_TOKEN = process.env.LATCHKEY_PUBLIC_TOKEN;
const PASSWORD = "Kk4DQuMMfZL9o"; // the pyca/bcrypt vector below
const BCRYPT = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
const ENTRY = fileURLToPath(new URL("./idp.mjs", import.meta.url));

let browser, pageServer, pageOrigin;

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
  assert.ok(PUBLIC_TOKEN, "LATCHKEY_PUBLIC_TOKEN");
  const bundle = await build({
    entryPoints: [ENTRY], bundle: true, format: "iife", platform: "browser", write: false,
    define: { "process.env.NODE_ENV": '"production"' }, logLevel: "warning",
  });
  const js = bundle.outputFiles[0].contents;
  pageServer = http.createServer((req, res) => {
    if (req.url === "/idp.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(js);
    } else {
      // Every other path (the Authorization URL page, /callback, /bye) is the same page.
      res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><title>Acme login</title><div id="root"></div><script src="/idp.js"></script>');
    }
  });
  await new Promise((r) => pageServer.listen(0, "127.0.0.1", r));
  pageOrigin = `http://127.0.0.1:${pageServer.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

after(async () => {
  await browser?.close();
  pageServer?.close();
});

/** Opens `path` on the customer's page with a StytchB2BClient, and mounts the component. */
async function open(page, path, mount = true) {
  await page.goto(`${pageOrigin}${path}`);
  await page.evaluate(({ token, base }) => window.createClient(token, base), { token: PUBLIC_TOKEN, base: BASE });
  if (mount) await page.evaluate(() => window.mountIdentityProvider());
}

test("@stytch/react <B2BIdentityProvider/> renders its consent screen and completes it", async () => {
  const { organization } = await api("POST", "/v1/b2b/organizations", { organization_name: "Acme", organization_slug: `acme-react-${unique()}` });
  const email = `rea-${unique()}@acme.io`;
  await api("POST", "/v1/b2b/passwords/migrate", { organization_id: organization.organization_id, email_address: email, hash_type: "bcrypt", hash: BCRYPT, name: "Rea Example" });
  const callback = `${pageOrigin}/callback`;
  const bye = `${pageOrigin}/bye`;
  const app = (await api("POST", "/v1/connected_apps/clients", {
    client_type: "third_party", client_name: "Acme Reports", client_description: "Weekly summaries",
    redirect_urls: [callback], post_logout_redirect_urls: [bye],
  })).connected_app;

  const context = await browser.newContext();
  const page = await context.newPage();
  // The customer's login page: the SDK keeps the session in its cookie on the page's origin.
  await open(page, "/login", false);
  const login = await page.evaluate(({ orgId, email, password }) =>
    window.client.passwords.authenticate({ organization_id: orgId, email_address: email, password, session_duration_minutes: 60 }),
  { orgId: organization.organization_id, email, password: PASSWORD });
  assert.equal(login.member_authenticated, true);

  const verifier = b64url(crypto.randomBytes(32));
  const challenge = b64url(crypto.createHash("sha256").update(verifier).digest());
  const authorize = (state) => "/oauth/authorize?" + new URLSearchParams({
    client_id: app.client_id, redirect_uri: callback, response_type: "code", scope: "openid email profile",
    state, nonce: "n-react", code_challenge: challenge,
  });

  // Deny: the component sends the member to the client with access_denied.
  await open(page, authorize("s-deny"));
  const deny = page.getByRole("button", { name: "Deny" });
  await deny.waitFor({ timeout: 20000 });
  await deny.click();
  await page.waitForURL(`${callback}?**`, { timeout: 20000 });
  const denied = new URL(page.url());
  assert.equal(denied.searchParams.get("error"), "access_denied");
  assert.equal(denied.searchParams.get("state"), "s-deny");
  assert.equal(denied.searchParams.get("code"), null);

  // Allow: the consent screen names the client and what it asks for; the click lands with a code.
  await open(page, authorize("s-allow"));
  const allow = page.getByRole("button", { name: "Allow" });
  await allow.waitFor({ timeout: 20000 });
  const screen = await page.locator("#root").innerText();
  assert.match(screen, /Acme Reports/, screen);
  assert.match(screen, /Acme Reports is requesting to:/, screen);
  assert.match(screen, /View your personal profile information/, screen);
  await allow.click();
  await page.waitForURL(`${callback}?**`, { timeout: 20000 });
  const granted = new URL(page.url());
  assert.equal(granted.searchParams.get("state"), "s-allow");
  const code = granted.searchParams.get("code");
  assert.ok(code, page.url());

  // The relying party redeems the code and checks the ID token's nonce.
  const tok = await fetch(`${BASE}/v1/oauth2/token`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: callback, client_id: app.client_id, client_secret: app.client_secret, code_verifier: verifier }),
  }).then((r) => r.json());
  assert.ok(tok.id_token, JSON.stringify(tok));
  const claims = JSON.parse(Buffer.from(tok.id_token.split(".")[1], "base64url").toString());
  assert.equal(claims.nonce, "n-react");
  assert.equal(claims.sub, login.member_id);

  // The RP's logout request without a hint: the component asks, and "No" keeps the session.
  const logout = (extra) => "/oauth/logout?" + new URLSearchParams({ client_id: app.client_id, post_logout_redirect_uri: bye, state: "s-bye", ...extra });
  await open(page, logout({}));
  const no = page.getByRole("button", { name: "No" });
  await no.waitFor({ timeout: 20000 });
  assert.match(await page.locator("#root").innerText(), /Log out\?/);
  await no.click();
  await page.getByText("You have not been logged out").waitFor({ timeout: 10000 });
  const alive = await fetch(`${BASE}/v1/b2b/sessions/authenticate`, {
    method: "POST", headers: { authorization: AUTH, "content-type": "application/json" },
    body: JSON.stringify({ session_token: login.session_token }),
  });
  assert.equal(alive.status, 200);

  // With a verified id_token_hint for this member: no question, the session ends, the member
  // lands at the RP's registered post-logout URL with its state.
  await open(page, logout({ id_token_hint: tok.id_token }));
  await page.waitForURL(`${bye}?**`, { timeout: 20000 });
  assert.equal(new URL(page.url()).searchParams.get("state"), "s-bye");
  const gone = await fetch(`${BASE}/v1/b2b/sessions/authenticate`, {
    method: "POST", headers: { authorization: AUTH, "content-type": "application/json" },
    body: JSON.stringify({ session_token: login.session_token }),
  });
  assert.equal(gone.status, 404);
  await context.close();
});
