// The MCP TypeScript SDK's OAuth client end to end against latchkey and the example MCP server
// (../server.mjs): starting from the MCP server URL alone, the SDK gets 401, reads the server's
// protected resource metadata (RFC 9728) and latchkey's AS metadata (RFC 8414), registers by DCR
// (RFC 7591), sends the member through latchkey's hosted login and consent pages (Debian's
// Chromium via playwright-core), redeems the code with PKCE and `resource` (RFC 8707), calls the
// tool, refreshes when its access token is refused, and a token minted for another resource is
// refused by this server.
// Env: LATCHKEY_BASE_URL, LATCHKEY_PROJECT_ID, LATCHKEY_SECRET (set by tests/api/mcp_e2e.rs),
// CHROMIUM (default /usr/bin/chromium).
//
// Registration paths are cases of `REGISTRATIONS` below: DCR, and a client ID metadata document
// (CIMD) served on loopback. The SDK's own CIMD path (`clientMetadataUrl`, taken when the AS
// metadata says `client_id_metadata_document_supported`) insists on an https URL, which a CI
// machine without a public certificate cannot serve; so the CIMD case gives the SDK the
// document's URL as its known client id (`clientInformation`), and latchkey, started with
// `client_metadata_allow_http_loopback`, fetches and validates the document as it would any.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import http from "node:http";
import { spawn } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { startMcpServer } from "../server.mjs";

const BASE = process.env.LATCHKEY_BASE_URL;
const AUTH = "Basic " + Buffer.from(`${process.env.LATCHKEY_PROJECT_ID}:${process.env.LATCHKEY_SECRET}`).toString("base64");
const PASSWORD = "Kk4DQuMMfZL9o"; // the pyca/bcrypt vector below (as interop/browser)
const BCRYPT = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
const unique = () => crypto.randomBytes(4).toString("hex");

let browser;
const cleanups = [];

async function api(method, path, body) {
  const resp = await fetch(`${BASE}${path}`, {
    method, headers: { authorization: AUTH, "content-type": "application/json" },
    body: body && JSON.stringify(body),
  });
  const json = await resp.json();
  assert.equal(resp.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

async function orgWithMember(email) {
  const { organization } = await api("POST", "/v1/b2b/organizations", { organization_name: "Acme", organization_slug: `acme-${unique()}` });
  const { member } = await api("POST", "/v1/b2b/passwords/migrate", { organization_id: organization.organization_id, email_address: email, hash_type: "bcrypt", hash: BCRYPT, name: "Ann Example" });
  return { organization, member };
}

/** An example MCP server registered at latchkey as a resource accepting `whoami`. */
async function registeredMcpServer(name) {
  const server = await startMcpServer({ issuer: BASE });
  cleanups.push(() => server.close());
  const { resource } = await api("POST", "/v1/connected_apps/resources", {
    url: server.resourceUrl, name,
    scopes: [{ scope: "whoami", description: "Know who you are" }, { scope: "notes:write", description: "Write notes" }],
  });
  server.useResource(resource.resource_id);
  return server;
}

const PYTHON_DIR = fileURLToPath(new URL("../../mcp-python/", import.meta.url));

/** A free loopback port (listen on 0, close). */
async function freePort() {
  const s = http.createServer();
  await new Promise((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/**
 * The Python example MCP server (../../mcp-python/server.py, the MCP Python SDK), registered at
 * latchkey as a resource accepting `whoami`, started on a free port once its resource exists.
 */
async function registeredPythonMcpServer(name) {
  const python = `${PYTHON_DIR}.venv/bin/python`;
  assert.ok(fs.existsSync(python), "interop/mcp-python is not installed: run scripts/setup-interop.sh");
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const resourceUrl = `${origin}/mcp`;
  const { resource } = await api("POST", "/v1/connected_apps/resources", {
    url: resourceUrl, name, scopes: [{ scope: "whoami", description: "Know who you are" }],
  });
  const child = spawn(python, ["server.py"], {
    cwd: PYTHON_DIR,
    env: { ...process.env, LATCHKEY_ISSUER: BASE, LATCHKEY_RESOURCE_ID: resource.resource_id, PORT: String(port) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  cleanups.push(async () => { child.kill(); await exited; });
  const prmUrl = `${origin}/.well-known/oauth-protected-resource`;
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(prmUrl).then((r) => r.ok, () => false);
    if (ok) return { resourceUrl, prmUrl };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the Python MCP server did not start on port ${port}`);
}

/** A loopback redirect_uri (RFC 8252 §7.3) that hands over the `code` (or `error`) it receives. */
async function callbackListener() {
  // Each redirect is delivered in turn (`received` is the first; `next()` the following ones).
  const waiting = [];
  const arrived = [];
  const next = () => (arrived.length ? Promise.resolve(arrived.shift()) : new Promise((resolve) => waiting.push(resolve)));
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    // Only the redirect itself (the browser also asks this origin for /favicon.ico).
    if (url.pathname !== "/callback") return res.writeHead(404).end();
    res.writeHead(200, { "content-type": "text/html" }).end("<p id=done>You can close this window.</p>");
    const params = Object.fromEntries(url.searchParams);
    const w = waiting.shift();
    if (w) w(params); else arrived.push(params);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }));
  return { url: `http://127.0.0.1:${server.address().port}/callback`, received: next(), next };
}

/**
 * An in-memory `OAuthClientProvider` whose `redirectToAuthorization` logs the member in through
 * latchkey's hosted pages in Chromium and consents.
 */
function browserProvider({ redirectUrl, email, clientMetadataUrl, knownClientId }) {
  const store = { state: crypto.randomBytes(16).toString("base64url"), authorizations: 0 };
  if (knownClientId) store.client = { client_id: knownClientId };
  return {
    store,
    get redirectUrl() { return redirectUrl; },
    clientMetadataUrl,
    get clientMetadata() {
      return { client_name: "MCP SDK e2e", redirect_uris: [redirectUrl], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" };
    },
    state: () => store.state,
    clientInformation: () => store.client,
    saveClientInformation: (info) => { store.client = info; },
    tokens: () => store.tokens,
    saveTokens: (tokens) => { store.tokens = tokens; },
    saveCodeVerifier: (v) => { store.verifier = v; },
    codeVerifier: () => store.verifier,
    saveDiscoveryState: (s) => { store.discovery = s; },
    discoveryState: () => store.discovery,
    invalidateCredentials: (scope) => {
      if (scope === "all" || scope === "client") delete store.client;
      if (scope === "all" || scope === "tokens") delete store.tokens;
      if (scope === "all" || scope === "verifier") delete store.verifier;
    },
    async redirectToAuthorization(url) {
      store.authorizations += 1;
      store.authorizationUrl = url;
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(url.toString());
      await page.getByLabel("Work email").fill(email);
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("button", { name: "Allow" }).click();
      await page.locator("#done").waitFor();
      await context.close();
    },
  };
}

/** Connects as far as the SDK gets on its own, completes the browser step, reconnects. */
async function connectWithOAuth(server, provider, callback) {
  const first = new StreamableHTTPClientTransport(new URL(server.resourceUrl), { authProvider: provider });
  await assert.rejects(new Client({ name: "e2e", version: "0.0.0" }).connect(first), UnauthorizedError);
  const { code, state, error, iss } = await callback.received;
  assert.equal(error, undefined, `authorization failed: ${error}`);
  assert.equal(state, provider.store.state);
  assert.equal(iss, BASE, "RFC 9207 iss on the redirect");
  await first.finishAuth(code);
  const transport = new StreamableHTTPClientTransport(new URL(server.resourceUrl), { authProvider: provider });
  const client = new Client({ name: "e2e", version: "0.0.0" });
  await client.connect(transport);
  cleanups.push(() => client.close());
  return client;
}

async function whoami(client) {
  const result = await client.callTool({ name: "whoami", arguments: {} });
  assert.notEqual(result.isError, true, JSON.stringify(result));
  return JSON.parse(result.content[0].text);
}

const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());

before(async () => {
  for (const name of ["LATCHKEY_BASE_URL", "LATCHKEY_PROJECT_ID", "LATCHKEY_SECRET"]) assert.ok(process.env[name], `${name} is not set`);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

after(async () => {
  for (const f of cleanups.reverse()) await f().catch(() => {});
  await browser?.close();
});

test("the example server answers 401 with its metadata and serves RFC 9728 naming latchkey", async () => {
  const server = await registeredMcpServer(`Plain ${unique()}`);
  const resp = await fetch(server.resourceUrl, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  assert.equal(resp.status, 401);
  assert.equal(resp.headers.get("www-authenticate"), `Bearer resource_metadata="${server.prmUrl}", scope="whoami offline_access"`);
  const prm = await (await fetch(server.prmUrl)).json();
  assert.equal(prm.resource, server.resourceUrl);
  assert.deepEqual(prm.authorization_servers, [BASE]);
  assert.ok(prm.scopes_supported.includes("whoami"));
});

/** A client ID metadata document on loopback (draft-ietf-oauth-client-id-metadata-document). */
async function metadataDocument() {
  const server = http.createServer((req, res) => {
    if (req.url !== "/mcp-e2e/client.json") return res.writeHead(404).end();
    const url = `http://127.0.0.1:${server.address().port}/mcp-e2e/client.json`;
    res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=300" }).end(JSON.stringify({
      client_id: url, client_name: "MCP SDK e2e (metadata document)", client_uri: "https://example.com/",
      redirect_uris: ["http://127.0.0.1/callback"], grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"], token_endpoint_auth_method: "none",
    }));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }));
  return `http://127.0.0.1:${server.address().port}/mcp-e2e/client.json`;
}

const REGISTRATIONS = [
  { name: "dynamic client registration (RFC 7591)", expectDcr: true },
  { name: "client ID metadata document", cimd: true },
];

for (const reg of REGISTRATIONS) {
  test(`MCP SDK client from the server URL alone: ${reg.name}, login, tool call, refresh, audience`, async () => {
    const email = `mcp-${unique()}@acme.io`;
    const { organization, member } = await orgWithMember(email);
    const server = await registeredMcpServer(`Whoami ${unique()}`);
    const callback = await callbackListener();
    const knownClientId = reg.cimd ? await metadataDocument() : undefined;
    const provider = browserProvider({ redirectUrl: callback.url, email, knownClientId });

    const client = await connectWithOAuth(server, provider, callback);
    assert.equal(provider.store.authorizations, 1);
    if (reg.expectDcr) assert.match(provider.store.client.client_id, /^connected-app-/, JSON.stringify(provider.store.client));
    if (reg.cimd) {
      assert.equal(provider.store.client.client_id, knownClientId, "no registration: the document URL is the client id");
      const { connected_app } = await api("GET", `/v1/connected_apps/clients/${encodeURIComponent(knownClientId)}`);
      assert.equal(connected_app.creation_method, "client_id_metadata_document");
      assert.equal(connected_app.client_id_metadata_url, knownClientId);
      assert.equal(connected_app.client_type, "third_party_public");
    }
    const authUrl = provider.store.authorizationUrl;
    assert.equal(authUrl.searchParams.get("resource"), server.resourceUrl);
    assert.equal(authUrl.searchParams.get("code_challenge_method"), "S256");
    const first = provider.store.tokens;
    assert.ok(first.refresh_token, "offline_access granted a refresh token");
    const claims = claimsOf(first.access_token);
    assert.deepEqual([claims.aud].flat(), [server.resourceUrl]);
    assert.equal(claims.iss, BASE);

    const who = await whoami(client);
    assert.equal(who.sub, member.member_id);
    assert.equal(who.organization_id, organization.organization_id);

    // A refused access token: the SDK refreshes (RFC 6749 §6, with `resource`) and retries.
    provider.store.tokens = { ...provider.store.tokens, access_token: first.access_token.slice(0, -4) + "AAAA" };
    const again = await whoami(client);
    assert.equal(again.sub, member.member_id);
    assert.notEqual(provider.store.tokens.access_token, first.access_token);
    assert.notEqual(provider.store.tokens.refresh_token, first.refresh_token, "public clients rotate refresh tokens");
    assert.equal(provider.store.authorizations, 1, "refreshed without a new authorization");
    assert.deepEqual([claimsOf(provider.store.tokens.access_token).aud].flat(), [server.resourceUrl]);

    // Step-up (MCP "Scope challenge handling"): `notes_write` needs `notes:write`; the server
    // answers 403 insufficient_scope with the union, the SDK authorizes again for it, the member
    // consents to the addition only (incremental consent), and the call succeeds.
    assert.ok(!claimsOf(provider.store.tokens.access_token).scope.split(" ").includes("notes:write"));
    // The SDK (1.32.2) answers insufficient_scope with a refresh when it holds a refresh token,
    // and a refresh cannot widen scopes (RFC 6749 §6: latchkey keeps the grant's); so this
    // client, like one that keeps no refresh token, goes back to the authorization endpoint.
    provider.store.tokens = { ...provider.store.tokens, refresh_token: undefined };
    await assert.rejects(client.callTool({ name: "notes_write", arguments: {} }), UnauthorizedError);
    assert.equal(provider.store.authorizations, 2, "step-up sent the member to authorize again");
    assert.match(provider.store.authorizationUrl.searchParams.get("scope"), /notes:write/);
    const stepped = await callback.next();
    assert.equal(stepped.error, undefined, `step-up failed: ${stepped.error}`);
    await client.transport.finishAuth(stepped.code);
    const note = await client.callTool({ name: "notes_write", arguments: {} });
    assert.notEqual(note.isError, true, JSON.stringify(note));
    const granted = claimsOf(provider.store.tokens.access_token).scope.split(" ");
    assert.ok(granted.includes("notes:write") && granted.includes("whoami"), granted.join(" "));
    assert.equal((await whoami(client)).sub, member.member_id, "the earlier scope still works");
    const { connected_apps } = await api("GET", `/v1/b2b/organizations/${organization.organization_id}/members/${member.member_id}/connected_apps`);
    const mine = connected_apps.find((a) => a.connected_app_id === provider.store.client.client_id);
    assert.ok(mine && mine.scopes_granted.includes("notes:write") && mine.scopes_granted.includes("whoami"), JSON.stringify(connected_apps));

    // A token minted for ANOTHER registered resource is refused here (RFC 8707 audience).
    const other = await registeredMcpServer(`Other ${unique()}`);
    const otherCallback = await callbackListener();
    const otherProvider = browserProvider({ redirectUrl: otherCallback.url, email, knownClientId });
    const otherClient = await connectWithOAuth(other, otherProvider, otherCallback);
    assert.equal((await whoami(otherClient)).sub, member.member_id);
    const foreign = otherProvider.store.tokens.access_token;
    assert.deepEqual([claimsOf(foreign).aud].flat(), [other.resourceUrl]);
    const refused = await fetch(server.resourceUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${foreign}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } }),
    });
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get("www-authenticate"), new RegExp(`resource_metadata="${server.prmUrl}".*error="invalid_token"`));
  });
}

test("MCP SDK client against the Python example server (MCP Python SDK): DCR, login, tool call, refresh", async () => {
  const email = `mcp-py-${unique()}@acme.io`;
  const { organization, member } = await orgWithMember(email);
  const server = await registeredPythonMcpServer(`Python whoami ${unique()}`);
  const unauthenticated = await fetch(server.resourceUrl, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  assert.equal(unauthenticated.status, 401);
  assert.equal(unauthenticated.headers.get("www-authenticate"), `Bearer resource_metadata="${server.prmUrl}"`);
  const callback = await callbackListener();
  const provider = browserProvider({ redirectUrl: callback.url, email });
  const client = await connectWithOAuth(server, provider, callback);
  const first = provider.store.tokens;
  assert.deepEqual([claimsOf(first.access_token).aud].flat(), [server.resourceUrl]);
  const who = await whoami(client);
  assert.equal(who.sub, member.member_id);
  assert.equal(who.organization_id, organization.organization_id);
  // A refused access token: the SDK refreshes and retries against the Python server too.
  provider.store.tokens = { ...provider.store.tokens, access_token: first.access_token.slice(0, -4) + "AAAA" };
  assert.equal((await whoami(client)).sub, member.member_id);
  assert.equal(provider.store.authorizations, 1, "refreshed without a new authorization");
});
