// The hosted authorization pages in a real headless Chromium (Debian's package, driven by
// playwright-core): a relying party started here sends the browser to latchkey, the member logs
// in and consents, and the relying party redeems the code and validates the ID token.
// Env: LATCHKEY_BASE_URL, LATCHKEY_PROJECT_ID, LATCHKEY_SECRET (set by tests/api/e2e.rs),
// CHROMIUM (default /usr/bin/chromium), LATCHKEY_SCREENSHOTS_DIR (optional: saves screenshots).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { chromium } from "playwright-core";
import { startRelyingParty } from "../lib/relying_party.mjs";

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

async function orgWithMember(name, email) {
  const { organization } = await api("POST", "/v1/b2b/organizations", { organization_name: name, organization_slug: `${name.toLowerCase().replace(/\W/g, "-")}-${unique()}` });
  await api("POST", "/v1/b2b/passwords/migrate", { organization_id: organization.organization_id, email_address: email, hash_type: "bcrypt", hash: BCRYPT, name: "Ann Example" });
  return organization;
}

async function client(type) {
  const body = await api("POST", "/v1/connected_apps/clients", {
    client_type: type, client_name: "Acme Reports", client_description: "Weekly summaries of your team's projects, delivered every Monday.",
    redirect_urls: ["http://127.0.0.1/callback"],
  });
  return { id: body.connected_app.client_id, secret: body.connected_app.client_secret };
}

async function relyingParty(type) {
  const c = await client(type);
  return startRelyingParty({ issuerBase: BASE, clientId: c.id, clientSecret: c.secret });
}

async function newPage(width = 1280, height = 860) {
  const context = await browser.newContext({ viewport: { width, height } });
  return context.newPage();
}

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

async function typeEmail(page, email) {
  await page.getByLabel("Work email").fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
}

async function typePassword(page) {
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

after(async () => { await browser?.close(); });

test("password login, consent, code redeemed and ID token validated", async () => {
  const rp = await relyingParty("third_party");
  const email = `ann-${unique()}@acme.io`;
  await orgWithMember("Acme", email);
  const page = await newPage();
  await page.goto(`${rp.base}/login`);
  await page.getByLabel("Work email").waitFor();
  await shot(page, "login-email-desktop");
  await typeEmail(page, email);
  await page.getByLabel("Password").waitFor();
  await shot(page, "login-password-desktop");
  // Keyboard only: the password field has focus; Enter submits.
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Allow" }).waitFor();
  await shot(page, "consent-desktop");
  await page.getByRole("button", { name: "Allow" }).click();
  await page.locator("#result").waitFor();
  assert.equal(await page.locator("#result").textContent(), `Hello ${email}`);
  assert.equal(rp.results.at(-1).claims.email, email);
  await page.context().close();
  await rp.close();
});

test("magic link login read from the outbox", async () => {
  const rp = await relyingParty("third_party");
  const email = `bea-${unique()}@acme.io`;
  await orgWithMember("Acme", email);
  const page = await newPage();
  await page.goto(`${rp.base}/login`);
  await typeEmail(page, email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await page.getByRole("heading", { name: "Check your email" }).waitFor();
  const { execFileSync } = await import("node:child_process");
  const out = execFileSync(process.env.LATCHKEY_BIN, ["outbox", "--project", process.env.LATCHKEY_PROJECT_ID, "--limit", "20", "--json"], {
    env: { ...process.env, LATCHKEY_DATABASE_URL: process.env.LATCHKEY_DATABASE_URL },
  }).toString();
  const mails = out.trim().startsWith("[") ? JSON.parse(out) : out.trim().split("\n").map((l) => JSON.parse(l));
  const mail = mails.find((m) => m.to_address === email);
  assert.ok(mail, out);
  await page.goto(mail.link);
  await page.getByRole("button", { name: "Allow" }).click();
  await page.locator("#result").waitFor();
  assert.equal(await page.locator("#result").textContent(), `Hello ${email}`);
  await page.context().close();
  await rp.close();
});

test("a member who denies", async () => {
  const rp = await relyingParty("third_party");
  const email = `cat-${unique()}@acme.io`;
  await orgWithMember("Acme", email);
  const page = await newPage();
  await page.goto(`${rp.base}/login`);
  await typeEmail(page, email);
  await typePassword(page);
  await page.getByRole("button", { name: "Deny" }).click();
  await page.locator("#result").waitFor();
  assert.equal(await page.locator("#result").textContent(), "Error: access_denied");
  await page.context().close();
  await rp.close();
});

test("a member of two organizations picks one (phone width)", async () => {
  const rp = await relyingParty("third_party");
  const email = `dan-${unique()}@acme.io`;
  await orgWithMember("Acme", email);
  const globex = await orgWithMember("Globex", email);
  const page = await newPage(390, 844);
  await page.goto(`${rp.base}/login`);
  await shot(page, "login-email-phone");
  await typeEmail(page, email);
  await page.getByRole("heading", { name: "Choose an organization" }).waitFor();
  await shot(page, "organization-phone");
  await page.getByLabel(/Globex/).check();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByLabel("Password").waitFor();
  await shot(page, "login-password-phone");
  await typePassword(page);
  await page.getByRole("button", { name: "Allow" }).waitFor();
  await shot(page, "consent-phone");
  await page.getByRole("button", { name: "Allow" }).click();
  await page.locator("#result").waitFor();
  const claims = rp.results.at(-1).claims;
  assert.equal(claims["https://stytch.com/organization"].organization_id, globex.organization_id);
  await page.context().close();
  await rp.close();
});

test("a first-party app skips consent", async () => {
  const rp = await relyingParty("first_party");
  const email = `eli-${unique()}@acme.io`;
  await orgWithMember("Acme", email);
  const page = await newPage();
  await page.goto(`${rp.base}/login`);
  await typeEmail(page, email);
  await typePassword(page);
  await page.locator("#result").waitFor();
  assert.equal(await page.locator("#result").textContent(), `Hello ${email}`);
  await page.context().close();
  await rp.close();
});

// Issue 13 item 5: "Forgot password?" on the password step mails a reset link (read here from
// the outbox); opened in the same browser it sets a new password and the same authorization
// request goes on to the relying party, which redeems the code.
test("forgot password: reset link from the outbox, new password, code redeemed", async () => {
  const rp = await relyingParty("third_party");
  const email = `fay-${unique()}@acme.io`;
  await orgWithMember("Acme", email);
  const page = await newPage();
  await page.goto(`${rp.base}/login`);
  await typeEmail(page, email);
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await page.getByRole("heading", { name: "Reset your password" }).waitFor();
  await shot(page, "forgot-password-desktop");
  await page.getByRole("button", { name: "Email me a reset link" }).click();
  await page.getByText("We sent a password reset link").waitFor();
  const { execFileSync } = await import("node:child_process");
  const out = execFileSync(process.env.LATCHKEY_BIN, ["outbox", "--project", process.env.LATCHKEY_PROJECT_ID, "--limit", "20", "--json"], {
    env: { ...process.env, LATCHKEY_DATABASE_URL: process.env.LATCHKEY_DATABASE_URL },
  }).toString();
  const mail = JSON.parse(out).find((m) => m.to_address === email);
  assert.ok(mail && mail.link.includes("/oauth2/authorize/reset_password?"), out);
  await page.goto(mail.link);
  await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
  // A weak password is asked again on the same link.
  await page.getByLabel("New password").fill("password");
  await page.getByRole("button", { name: "Set password and continue" }).click();
  await page.getByRole("alert").waitFor();
  await page.getByLabel("New password").fill("violet-Harbor-42-lantern-quietly");
  await page.getByRole("button", { name: "Set password and continue" }).click();
  await page.getByRole("button", { name: "Allow" }).click();
  await page.locator("#result").waitFor();
  assert.equal(await page.locator("#result").textContent(), `Hello ${email}`);
  assert.equal(rp.results.at(-1).claims.email, email);
  await page.context().close();
  await rp.close();
});

// Issue 13 item 5: an email sign-in code, read from the outbox, typed into the code step.
test("email sign-in code read from the outbox", async () => {
  const rp = await relyingParty("third_party");
  const email = `gus-${unique()}@acme.io`;
  await orgWithMember("Acme", email);
  const page = await newPage();
  await page.goto(`${rp.base}/login`);
  await typeEmail(page, email);
  await page.getByRole("button", { name: "Email me a code" }).click();
  await page.getByRole("heading", { name: "Enter your code" }).waitFor();
  await shot(page, "email-code-desktop");
  const { execFileSync } = await import("node:child_process");
  const out = execFileSync(process.env.LATCHKEY_BIN, ["outbox", "--project", process.env.LATCHKEY_PROJECT_ID, "--limit", "20", "--json"], {
    env: { ...process.env, LATCHKEY_DATABASE_URL: process.env.LATCHKEY_DATABASE_URL },
  }).toString();
  const mail = JSON.parse(out).find((m) => m.to_address === email);
  const code = mail.subject.match(/\b\d{6}\b/)[0];
  await page.getByLabel("Code").fill(code);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Allow" }).click();
  await page.locator("#result").waitFor();
  assert.equal(await page.locator("#result").textContent(), `Hello ${email}`);
  await page.context().close();
  await rp.close();
});

// Issue 13 item 5: the second-factor step's SMS code, read from the outbox (`latchkey outbox`
// lists SMS beside mail), where the organization requires MFA.
test("SMS code of the second-factor step read from the outbox", async () => {
  const rp = await relyingParty("third_party");
  const email = `hal-${unique()}@acme.io`;
  const org = await orgWithMember("Acme", email);
  const phone = `+1202555${String(Math.floor(Math.random() * 10000)).padStart(4, "0")}`;
  const { members } = await api("POST", "/v1/b2b/organizations/members/search", { organization_ids: [org.organization_id], query: { operator: "AND", operands: [{ filter_name: "member_emails", filter_value: [email] }] } });
  await api("PUT", `/v1/b2b/organizations/${org.organization_id}/members/${members[0].member_id}`, { mfa_phone_number: phone });
  await api("PUT", `/v1/b2b/organizations/${org.organization_id}`, { mfa_policy: "REQUIRED_FOR_ALL" });
  const page = await newPage();
  await page.goto(`${rp.base}/login`);
  await typeEmail(page, email);
  await typePassword(page);
  await page.getByRole("button", { name: /Text me a code at/ }).click();
  await page.getByLabel(/Code sent by SMS/).waitFor();
  await shot(page, "mfa-sms-desktop");
  const { execFileSync } = await import("node:child_process");
  const out = execFileSync(process.env.LATCHKEY_BIN, ["outbox", "--project", process.env.LATCHKEY_PROJECT_ID, "--limit", "20", "--json"], {
    env: { ...process.env, LATCHKEY_DATABASE_URL: process.env.LATCHKEY_DATABASE_URL },
  }).toString();
  const sms = JSON.parse(out).find((m) => m.channel === "sms" && m.to_address === phone);
  assert.ok(sms, out);
  await page.getByLabel(/Code sent by SMS/).fill(sms.text_body.match(/\b\d{6}\b/)[0]);
  await page.getByRole("button", { name: "Verify the SMS code" }).click();
  await page.getByRole("button", { name: "Allow" }).click();
  await page.locator("#result").waitFor();
  assert.equal(await page.locator("#result").textContent(), `Hello ${email}`);
  await page.context().close();
  await rp.close();
});
