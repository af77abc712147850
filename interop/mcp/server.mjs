// An example MCP server protected by latchkey: the MCP TypeScript SDK's Streamable HTTP
// transport (stateless) with one tool, `whoami`, behind bearer tokens it validates LOCALLY with
// `jose` against latchkey's JWKS (signature, `iss` = latchkey's issuer, `aud` contains this
// server's own resource URL per RFC 8707, `exp`, the required scope).
//
// - `GET /.well-known/oauth-protected-resource` (RFC 9728 §3): latchkey's per-resource document
//   (`/v1/connected_apps/resources/{id}/oauth-protected-resource`), copied, with `offline_access`
//   added to `scopes_supported`: the MCP SDK requests exactly the PRM's scopes (SEP-835) and
//   latchkey issues refresh tokens only for `offline_access` (OIDC Core §11).
// - no or invalid token: 401 `WWW-Authenticate: Bearer resource_metadata="<PRM URL>",
//   scope="whoami offline_access"` (RFC 9728 §5.1, RFC 6750 §3: the scopes to ask for first); a
//   valid token without a scope the call needs: 403 `error="insufficient_scope"` with every
//   `scope` the call needs (RFC 6750 §3.1), which MCP clients answer by asking again for that
//   union (step-up): the tool `notes_write` needs `notes:write` besides `whoami`.
//
// Run alone:  LATCHKEY_ISSUER=http://127.0.0.1:8080 \
//   LATCHKEY_RESOURCE_ID=resource-test-... PORT=3000 node server.mjs
// after `latchkey resource create --url http://127.0.0.1:3000/mcp --name Demo --scope "whoami=Know who you are"`.
import http from "node:http";
import { fileURLToPath } from "node:url";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

const PRM_PATH = "/.well-known/oauth-protected-resource";

/**
 * Starts the server on 127.0.0.1:`port` (0: any free port). `issuer` is latchkey's issuer
 * (its AS metadata names the JWKS). Call `useResource(resourceId)` once the resource is
 * registered at latchkey under `resourceUrl` (the URL is only known after listening).
 */
export async function startMcpServer({ issuer, port = 0, requiredScope = "whoami", toolScopes = { notes_write: "notes:write" }, resourceId } = {}) {
  const state = { resourceId, prm: undefined, jwks: undefined };
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "server_error", error_description: String(err?.message ?? err) }));
    });
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const resourceUrl = `${origin}/mcp`;
  const prmUrl = `${origin}${PRM_PATH}`;

  async function metadata() {
    if (state.prm) return state.prm;
    if (!state.resourceId) throw new Error("no latchkey resource configured");
    const resp = await fetch(`${issuer}/v1/connected_apps/resources/${encodeURIComponent(state.resourceId)}/oauth-protected-resource`);
    if (!resp.ok) throw new Error(`latchkey resource metadata: HTTP ${resp.status}`);
    const doc = await resp.json();
    if (doc.resource !== resourceUrl) throw new Error(`latchkey resource is ${doc.resource}, this server is ${resourceUrl}`);
    const scopes = new Set([...(doc.scopes_supported ?? []), "offline_access"]);
    state.prm = { ...doc, scopes_supported: [...scopes] };
    return state.prm;
  }

  async function keySet() {
    if (state.jwks) return state.jwks;
    const as = await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json();
    state.jwks = createRemoteJWKSet(new URL(as.jwks_uri));
    return state.jwks;
  }

  function challenge(res, status, params) {
    const attrs = [`resource_metadata="${prmUrl}"`, ...Object.entries(params).map(([k, v]) => `${k}="${v}"`)];
    res.writeHead(status, { "www-authenticate": `Bearer ${attrs.join(", ")}`, "content-type": "application/json" });
    res.end(JSON.stringify({ error: params.error ?? "invalid_token", error_description: params.error_description }));
  }

  const firstScopes = `${requiredScope} offline_access`;

  /** The verified claims, or undefined after answering 401/403. `tool`: the tool called. */
  async function authenticate(req, res, tool) {
    const header = req.headers.authorization ?? "";
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
    if (!match) return challenge(res, 401, { scope: firstScopes });
    let payload;
    try {
      ({ payload } = await jwtVerify(match[1], await keySet(), { issuer, audience: resourceUrl, requiredClaims: ["exp", "sub"] }));
    } catch (err) {
      return challenge(res, 401, { error: "invalid_token", error_description: String(err?.code ?? "invalid token") });
    }
    const scopes = typeof payload.scope === "string" ? payload.scope.split(" ") : [];
    const needed = [requiredScope, ...(toolScopes[tool] ? [toolScopes[tool]] : [])];
    const missing = needed.filter((s) => !scopes.includes(s));
    if (missing.length > 0) {
      // Every scope the call needs, and the ones kept (offline_access): the client asks for this.
      const union = [...new Set([...needed, ...scopes])].join(" ");
      return challenge(res, 403, { error: "insufficient_scope", scope: union, error_description: `needs ${missing.join(" ")}` });
    }
    return { token: match[1], payload, scopes };
  }

  async function handle(req, res) {
    const url = new URL(req.url, origin);
    // The URL the 401 names, and the RFC 9728 §3.1 path-insertion URL of `<origin>/mcp`.
    if ((url.pathname === PRM_PATH || url.pathname === `${PRM_PATH}/mcp`) && req.method === "GET") {
      res.writeHead(200, { "content-type": "application/json", "access-control-allow-origin": "*" });
      res.end(JSON.stringify(await metadata()));
      return;
    }
    if (url.pathname !== "/mcp") {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not_found"}');
      return;
    }
    if (req.method !== "POST") {
      if (!(await authenticate(req, res))) return;
      // Stateless: no server-initiated stream, no sessions to delete (Streamable HTTP allows 405).
      res.writeHead(405, { allow: "POST" }).end();
      return;
    }
    // The body names the tool, whose scope the token must carry.
    const chunks = [];
    for await (const c of req) chunks.push(c);
    let body;
    try { body = JSON.parse(Buffer.concat(chunks).toString() || "null"); } catch { body = undefined; }
    const tool = body?.method === "tools/call" ? body?.params?.name : undefined;
    const auth = await authenticate(req, res, tool);
    if (!auth) return;
    req.auth = { token: auth.token, clientId: String(auth.payload.client_id ?? ""), scopes: auth.scopes, extra: { claims: auth.payload } };
    const mcp = buildMcp();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => { transport.close(); mcp.close(); });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  return {
    origin, resourceUrl, prmUrl,
    useResource(id) { state.resourceId = id; state.prm = undefined; },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

function buildMcp() {
  const mcp = new McpServer({ name: "latchkey-example", version: "0.0.0" });
  mcp.registerTool("whoami", { description: "The member and organization the access token was issued for" }, async (extra) => {
    const claims = extra.authInfo?.extra?.claims ?? {};
    const org = claims["https://stytch.com/organization"]?.organization_id ?? claims.organization_id ?? null;
    const who = { sub: claims.sub, organization_id: org, client_id: claims.client_id ?? null, aud: claims.aud, scope: claims.scope };
    return { content: [{ type: "text", text: JSON.stringify(who) }] };
  });
  mcp.registerTool("notes_write", { description: "Writes a note (needs notes:write)" }, async (extra) => {
    const claims = extra.authInfo?.extra?.claims ?? {};
    return { content: [{ type: "text", text: JSON.stringify({ written: true, scope: claims.scope }) }] };
  });
  return mcp;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const issuer = process.env.LATCHKEY_ISSUER;
  if (!issuer) {
    console.error("set LATCHKEY_ISSUER (latchkey's issuer) and LATCHKEY_RESOURCE_ID");
    process.exit(2);
  }
  const s = await startMcpServer({ issuer, port: Number(process.env.PORT ?? 3000), resourceId: process.env.LATCHKEY_RESOURCE_ID });
  console.log(`MCP server at ${s.resourceUrl}, metadata at ${s.prmUrl}`);
}
