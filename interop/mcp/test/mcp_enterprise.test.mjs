// Enterprise-managed authorization (issue 14 item 3) driven by the MCP TypeScript SDK's own
// client: `Client`, `StreamableHTTPClientTransport` and its OAuth machinery (RFC 9728 discovery
// from the MCP server's 401, RFC 8414 AS metadata, RFC 8707 `resource`, the token request,
// client_secret_basic). SDK 1.32.2 has no enterprise-managed provider of its own (no
// `CrossAppAccessProvider`), so the provider below is ours: like the SDK's
// `ClientCredentialsProvider` it only supplies the grant parameters (`prepareTokenRequest`),
// here `jwt-bearer` with an ID-JAG signed by a stand-in enterprise IdP (jose, ES256, JWKS on
// loopback). The token is for the member whose external_id is the ID-JAG's `sub`, bound to the
// MCP server, and the tool call succeeds; an ID-JAG of an untrusted IdP gets no token.
// Env: LATCHKEY_BASE_URL, LATCHKEY_PROJECT_ID, LATCHKEY_SECRET (set by tests/api/mcp_e2e.rs).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import http from "node:http";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startMcpServer } from "../server.mjs";

const BASE = process.env.LATCHKEY_BASE_URL;
const AUTH = "Basic " + Buffer.from(`${process.env.LATCHKEY_PROJECT_ID}:${process.env.LATCHKEY_SECRET}`).toString("base64");
const unique = () => crypto.randomBytes(4).toString("hex");
const cleanups = [];
after(async () => { for (const c of cleanups) await c(); });

async function api(method, path, body) {
  const resp = await fetch(`${BASE}${path}`, {
    method, headers: { authorization: AUTH, "content-type": "application/json" },
    body: body && JSON.stringify(body),
  });
  const json = await resp.json();
  assert.equal(resp.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

/** A stand-in enterprise IdP: an ES256 key, its JWKS on loopback, and ID-JAGs on request. */
async function startIdp() {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "idp-key", alg: "ES256", use: "sig" };
  const server = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return {
    issuer: `${origin}/idp-${unique()}`,
    jwksUrl: `${origin}/jwks`,
    // draft-ietf-oauth-identity-assertion-authz-grant §3.1.
    idJag: ({ issuer, sub, clientId, resource, scope }) =>
      new SignJWT({ client_id: clientId, resource, scope, jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: "ES256", typ: "oauth-id-jag+jwt", kid: "idp-key" })
        .setIssuer(issuer).setSubject(sub).setAudience(BASE).setIssuedAt().setExpirationTime("5m")
        .sign(privateKey),
  };
}

/** An OAuthClientProvider whose grant is jwt-bearer with a fresh ID-JAG. */
class IdJagProvider {
  constructor({ clientId, clientSecret, assertion }) {
    this._clientInfo = { client_id: clientId, client_secret: clientSecret };
    this._clientMetadata = {
      client_name: "enterprise-agent", redirect_uris: [],
      grant_types: ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
      token_endpoint_auth_method: "client_secret_basic",
    };
    this._assertion = assertion;
  }
  get redirectUrl() { return undefined; }
  get clientMetadata() { return this._clientMetadata; }
  clientInformation() { return this._clientInfo; }
  saveClientInformation(info) { this._clientInfo = info; }
  tokens() { return this._tokens; }
  saveTokens(tokens) { this._tokens = tokens; }
  redirectToAuthorization() { throw new Error("no browser in enterprise-managed authorization"); }
  saveCodeVerifier() {}
  codeVerifier() { throw new Error("no PKCE in the jwt-bearer grant"); }
  async prepareTokenRequest() {
    return new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion: await this._assertion(),
    });
  }
}

async function connect(server, provider) {
  const transport = new StreamableHTTPClientTransport(new URL(server.resourceUrl), { authProvider: provider });
  const client = new Client({ name: "enterprise-e2e", version: "0.0.0" });
  await client.connect(transport);
  cleanups.push(() => client.close());
  return client;
}

test("MCP SDK client redeems an ID-JAG (jwt-bearer) and calls the tool as the member", async () => {
  const server = await startMcpServer({ issuer: BASE });
  cleanups.push(() => server.close());
  const { resource } = await api("POST", "/v1/connected_apps/resources", {
    url: server.resourceUrl, name: `Enterprise ${unique()}`, scopes: [{ scope: "whoami", description: "Know who you are" }],
  });
  server.useResource(resource.resource_id);
  const { connected_app: app } = await api("POST", "/v1/connected_apps/clients", {
    client_type: "third_party", client_name: `agent ${unique()}`, jwt_bearer_allowed: true,
  });
  const { organization } = await api("POST", "/v1/b2b/organizations", {
    organization_name: "Acme", organization_slug: `acme-${unique()}`,
  });
  const externalId = `U${unique()}`;
  const { member } = await api("POST", `/v1/b2b/organizations/${organization.organization_id}/members`, {
    email_address: `u-${unique()}@acme.example`, external_id: externalId,
  });
  const idp = await startIdp();
  await api("POST", `/v1/b2b/organizations/${organization.organization_id}/identity_assertion_issuers`, {
    issuer: idp.issuer, jwks_url: idp.jwksUrl, allowed_client_ids: [app.client_id],
  });

  const assertion = () => idp.idJag({
    issuer: idp.issuer, sub: externalId, clientId: app.client_id, resource: server.resourceUrl, scope: "whoami",
  });
  const client = await connect(server, new IdJagProvider({ clientId: app.client_id, clientSecret: app.client_secret, assertion }));
  const result = await client.callTool({ name: "whoami", arguments: {} });
  const who = JSON.parse(result.content[0].text);
  assert.equal(who.sub, member.member_id, "the member is the subject");
  assert.equal(who.organization_id, organization.organization_id);
  assert.equal(who.client_id, app.client_id);
  assert.deepEqual(who.aud, [server.resourceUrl]);
  assert.equal(who.scope, "whoami");

  // An IdP the organization does not trust: no token, no connection.
  const stranger = await startIdp();
  const untrusted = () => stranger.idJag({
    issuer: stranger.issuer, sub: externalId, clientId: app.client_id, resource: server.resourceUrl, scope: "whoami",
  });
  await assert.rejects(connect(server, new IdJagProvider({ clientId: app.client_id, clientSecret: app.client_secret, assertion: untrusted })));
});
