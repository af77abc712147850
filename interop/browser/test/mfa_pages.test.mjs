// The hosted page's second factor (issue 13 item 5) in a real headless Chromium: an
// organization that requires MFA; the member enrols a TOTP (QR code and key, a confirming code,
// the recovery codes shown once), consents, and the relying party gets its code; later logins
// use a recovery code, then a TOTP code.
// Env as hosted_pages.test.mjs (set by tests/api/e2e.rs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { chromium } from "playwright-core";
import { startRelyingParty } from "../lib/relying_party.mjs";
import { totp } from "../lib/totp.mjs";

const BASE = process.env.LATCHKEY_BASE_URL;
const AUTH = "Basic " + Buffer.from(`${process.env.LATCHKEY_PROJECT_ID}:${process.env.LATCHKEY_SECRET}`).toString("base64");
const PASSWORD = "Kk4DQuMMfZL9o"; // the pyca/bcrypt vector below
const BCRYPT = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
const SHOTS = process.env.LATCHKEY_SCREENSHOTS_DIR;

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

const unique = () => crypto.randomBytes(4).toString("hex");

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

async function signIn(email, rp) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${rp.base}/login`);
  await page.getByLabel("Work email").fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  return page;
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

after(async () => { await browser?.close(); });

test("TOTP enrolment, then a recovery code, then a TOTP code", async () => {
  const { organization } = await api("POST", "/v1/b2b/organizations", {
    organization_name: "Strict", organization_slug: `strict-${unique()}`, mfa_policy: "REQUIRED_FOR_ALL",
  });
  const email = `mfa-${unique()}@acme.io`;
  await api("POST", "/v1/b2b/passwords/migrate", { organization_id: organization.organization_id, email_address: email, hash_type: "bcrypt", hash: BCRYPT });
  const c = await api("POST", "/v1/connected_apps/clients", {
    client_type: "third_party", client_name: "Acme Reports", client_description: "Weekly summaries.",
    redirect_urls: ["http://127.0.0.1/callback"],
  });
  const rp = await startRelyingParty({ issuerBase: BASE, clientId: c.connected_app.client_id, clientSecret: c.connected_app.client_secret });

  let page = await signIn(email, rp);
  await page.getByRole("heading", { name: "Set up an authenticator app" }).waitFor();
  assert.ok(await page.getByAltText("QR code for your authenticator app").isVisible());
  await shot(page, "mfa-enrol");
  const key = (await page.locator("code.secret").textContent()).trim();
  await page.getByLabel("Code from your authenticator app").fill("000000");
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.getByRole("alert").waitFor();
  await page.getByLabel("Code from your authenticator app").fill(totp(key));
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.getByRole("heading", { name: "Save your recovery codes" }).waitFor();
  await shot(page, "mfa-recovery-codes");
  const codes = await page.locator("ul.recovery-codes code").allTextContents();
  assert.equal(codes.length, 10);
  await page.getByRole("button", { name: /I saved them/ }).click();
  await page.getByRole("button", { name: "Allow" }).click();
  await page.locator("#result").waitFor();
  assert.equal(await page.locator("#result").textContent(), `Hello ${email}`);
  await page.context().close();

  page = await signIn(email, rp);
  await page.getByRole("heading", { name: "Second sign-in step" }).waitFor();
  await shot(page, "mfa-second-step");
  await page.getByLabel("A recovery code").fill(codes[0]);
  await page.getByRole("button", { name: "Use a recovery code" }).click();
  await page.locator("#result").waitFor();
  assert.equal(await page.locator("#result").textContent(), `Hello ${email}`);
  await page.context().close();

  page = await signIn(email, rp);
  await page.getByRole("heading", { name: "Second sign-in step" }).waitFor();
  // The next step's code: the enrolment spent this step's.
  await page.getByLabel("Code from your authenticator app").fill(totp(key, Date.now() + 30_000));
  await page.getByRole("button", { name: "Verify" }).click();
  await page.locator("#result").waitFor();
  assert.equal(await page.locator("#result").textContent(), `Hello ${email}`);
  const factors = rp.results.at(-1);
  assert.ok(factors, "the relying party redeemed a code");
  await page.context().close();
  await rp.close();
});
