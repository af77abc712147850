// A relying party for the browser tests: sends the browser to latchkey's authorization endpoint
// (from discovery) with PKCE, state and nonce; on the callback it checks state and `iss`,
// redeems the code at the token endpoint and validates the ID token (RS256 signature against
// the JWKS, iss, aud, nonce, exp) using only node:crypto.
import http from "node:http";
import crypto from "node:crypto";

const b64url = (buf) => Buffer.from(buf).toString("base64url");

export async function startRelyingParty({ issuerBase, clientId, clientSecret, scope = "openid email" }) {
  const discovery = await (await fetch(`${issuerBase}/.well-known/openid-configuration`)).json();
  const pending = new Map(); // state -> { verifier, nonce }
  const results = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    try {
      if (url.pathname === "/login") {
        const verifier = b64url(crypto.randomBytes(32));
        const state = b64url(crypto.randomBytes(16));
        const nonce = b64url(crypto.randomBytes(16));
        pending.set(state, { verifier, nonce });
        const auth = new URL(discovery.authorization_endpoint);
        auth.search = new URLSearchParams({
          response_type: "code", client_id: clientId, redirect_uri: redirectUri(), scope, state, nonce,
          code_challenge: b64url(crypto.createHash("sha256").update(verifier).digest()),
          code_challenge_method: "S256",
          ...(url.searchParams.get("prompt") ? { prompt: url.searchParams.get("prompt") } : {}),
        }).toString();
        res.writeHead(302, { location: auth.toString() }).end();
        return;
      }
      if (url.pathname === "/callback") {
        const q = url.searchParams;
        const p = pending.get(q.get("state"));
        if (!p) throw new Error("unknown state");
        pending.delete(q.get("state"));
        if (q.get("iss") !== discovery.issuer) throw new Error(`iss ${q.get("iss")} != ${discovery.issuer}`);
        if (q.get("error")) {
          results.push({ error: q.get("error") });
          res.writeHead(200, { "content-type": "text/html" }).end(`<h1 id="result">Error: ${q.get("error")}</h1>`);
          return;
        }
        const claims = await redeem(discovery, clientId, clientSecret, q.get("code"), p, redirectUri());
        results.push({ claims });
        res.writeHead(200, { "content-type": "text/html" }).end(`<h1 id="result">Hello ${claims.email}</h1>`);
        return;
      }
      res.writeHead(404).end();
    } catch (e) {
      results.push({ failure: String(e) });
      res.writeHead(500, { "content-type": "text/plain" }).end(String(e));
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${server.address().port}`;
  function redirectUri() { return `${base}/callback`; }
  return { base, results, close: () => new Promise((r) => server.close(r)) };
}

async function redeem(discovery, clientId, clientSecret, code, p, redirectUri) {
  const resp = await fetch(discovery.token_endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: "Basic " + Buffer.from(`${clientId}:${clientSecret}`).toString("base64"),
    },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: p.verifier }),
  });
  const tokens = await resp.json();
  if (resp.status !== 200) throw new Error(`token endpoint: ${JSON.stringify(tokens)}`);
  const jwks = await (await fetch(discovery.jwks_uri)).json();
  const [h, b, s] = tokens.id_token.split(".");
  const header = JSON.parse(Buffer.from(h, "base64url"));
  const claims = JSON.parse(Buffer.from(b, "base64url"));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (header.alg !== "RS256" || !jwk) throw new Error("no RS256 key for the ID token");
  const ok = crypto.verify("RSA-SHA256", Buffer.from(`${h}.${b}`), crypto.createPublicKey({ key: jwk, format: "jwk" }), Buffer.from(s, "base64url"));
  if (!ok) throw new Error("ID token signature does not verify");
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== discovery.issuer) throw new Error("ID token iss");
  if (!aud.includes(clientId)) throw new Error("ID token aud");
  if (claims.nonce !== p.nonce) throw new Error("ID token nonce");
  if (claims.exp * 1000 < Date.now()) throw new Error("ID token expired");
  return claims;
}
