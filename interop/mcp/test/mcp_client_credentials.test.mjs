// The MCP TypeScript SDK's client-credentials extension (`ClientCredentialsProvider`,
// client_secret_basic) end to end against latchkey and the example MCP server (../server.mjs):
// a Connected Apps confidential client allowed to use `client_credentials` (issue 14) starts
// from the MCP server URL alone, gets 401, reads the server's protected resource metadata
// (RFC 9728) and latchkey's AS metadata (RFC 8414), gets a token for itself bound to the MCP
// server (RFC 8707 `resource`), and calls the tool; a client not allowed to is refused.
// Env: LATCHKEY_BASE_URL, LATCHKEY_PROJECT_ID, LATCHKEY_SECRET (set by tests/api/mcp_e2e.rs).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ClientCredentialsProvider } from "@modelcontextprotocol/sdk/client/auth-extensions.js";
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

async function connect(server, clientId, clientSecret) {
  const provider = new ClientCredentialsProvider({ clientId, clientSecret, scope: "whoami", expectedIssuer: BASE });
  const transport = new StreamableHTTPClientTransport(new URL(server.resourceUrl), { authProvider: provider });
  const client = new Client({ name: "cc-e2e", version: "0.0.0" });
  await client.connect(transport);
  cleanups.push(() => client.close());
  return client;
}

test("MCP SDK ClientCredentialsProvider gets an audience-bound token and calls the tool", async () => {
  const server = await startMcpServer({ issuer: BASE });
  cleanups.push(() => server.close());
  const { resource } = await api("POST", "/v1/connected_apps/resources", {
    url: server.resourceUrl, name: `CC ${unique()}`, scopes: [{ scope: "whoami", description: "Know who you are" }],
  });
  server.useResource(resource.resource_id);
  const { connected_app: app } = await api("POST", "/v1/connected_apps/clients", {
    client_type: "first_party", client_name: `job ${unique()}`,
    client_credentials_allowed: true, client_credentials_scopes: ["whoami"],
  });

  const client = await connect(server, app.client_id, app.client_secret);
  const result = await client.callTool({ name: "whoami", arguments: {} });
  const who = JSON.parse(result.content[0].text);
  assert.equal(who.sub, app.client_id, "the client is the subject");
  assert.equal(who.client_id, app.client_id);
  assert.equal(who.organization_id, null, "no organization");
  assert.deepEqual(who.aud, [server.resourceUrl]);
  assert.equal(who.scope, "whoami");

  const { connected_app: other } = await api("POST", "/v1/connected_apps/clients", {
    client_type: "first_party", client_name: `not allowed ${unique()}`,
  });
  await assert.rejects(connect(server, other.client_id, other.client_secret));
});
