"""An example MCP server in Python protected by latchkey: the MCP Python SDK's `MCPServer` over
Streamable HTTP (stateless, JSON responses) with one tool, `whoami`, behind bearer tokens it
validates LOCALLY with PyJWT against latchkey's JWKS: the signature, `iss` = latchkey's issuer,
`aud` containing this server's own resource URL (RFC 8707: a token minted for another resource
is refused), `exp`, and the required scope. The Python twin of `interop/mcp/server.mjs`.

- `GET /.well-known/oauth-protected-resource` (and `.../mcp`, RFC 9728 §3.1): latchkey's
  per-resource document (`/v1/connected_apps/resources/{id}/oauth-protected-resource`), copied,
  with `offline_access` added to `scopes_supported` (MCP clients request exactly those scopes,
  and latchkey issues refresh tokens only for `offline_access`).
- no or invalid token: 401 `WWW-Authenticate: Bearer resource_metadata="<PRM URL>"` (RFC 9728
  §5.1, RFC 6750 §3); a valid token without the scope: 403 `error="insufficient_scope"` with the
  `scope` needed (RFC 6750 §3.1).

Run:  LATCHKEY_ISSUER=http://127.0.0.1:8080 LATCHKEY_RESOURCE_ID=resource-test-... PORT=3001 \\
        .venv/bin/python server.py
after `latchkey resource create --url http://127.0.0.1:3001/mcp --name Demo --scope "whoami=Know who you are"`.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import urllib.request
from typing import Any

import anyio
import jwt
import uvicorn
from mcp.server.mcpserver import MCPServer

PRM_PATH = "/.well-known/oauth-protected-resource"
BEARER = re.compile(r"^Bearer ([A-Za-z0-9._~+/-]+=*)$", re.IGNORECASE)

# The verified claims of the request being served, for the tools.
claims_var: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("claims", default={})


def fetch_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 (configured URL)
        return json.load(resp)


def build_mcp() -> MCPServer:
    mcp = MCPServer("latchkey-example-python")

    @mcp.tool(description="The member and organization the access token was issued for")
    def whoami() -> str:
        c = claims_var.get()
        org = (c.get("https://stytch.com/organization") or {}).get("organization_id")
        who = {"sub": c.get("sub"), "organization_id": org or c.get("organization_id"),
               "client_id": c.get("client_id"), "aud": c.get("aud"), "scope": c.get("scope")}
        return json.dumps(who)

    return mcp


class ProtectedMcp:
    """ASGI app: the metadata document, and the MCP endpoint behind local token validation."""

    def __init__(self, issuer: str, origin: str, resource_id: str, required_scope: str = "whoami"):
        self.issuer = issuer.rstrip("/")
        self.resource_url = f"{origin}/mcp"
        self.prm_url = f"{origin}{PRM_PATH}"
        self.resource_id = resource_id
        self.required_scope = required_scope
        self._prm: dict[str, Any] | None = None
        self._jwks: jwt.PyJWKClient | None = None
        self._as_issuer: str | None = None
        self.mcp_app = build_mcp().streamable_http_app(
            streamable_http_path="/mcp", stateless_http=True, json_response=True
        )

    def metadata(self) -> dict[str, Any]:
        if self._prm is None:
            doc = fetch_json(
                f"{self.issuer}/v1/connected_apps/resources/{self.resource_id}/oauth-protected-resource"
            )
            if doc.get("resource") != self.resource_url:
                raise RuntimeError(f"latchkey resource is {doc.get('resource')}, this server is {self.resource_url}")
            scopes = list(dict.fromkeys([*doc.get("scopes_supported", []), "offline_access"]))
            self._prm = {**doc, "scopes_supported": scopes}
        return self._prm

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims; raises `jwt.PyJWTError` for any token this server must refuse."""
        if self._jwks is None:
            meta = fetch_json(f"{self.issuer}/.well-known/oauth-authorization-server")
            self._as_issuer = meta["issuer"]
            self._jwks = jwt.PyJWKClient(meta["jwks_uri"])
        key = self._jwks.get_signing_key_from_jwt(token)
        return jwt.decode(
            token,
            key,
            algorithms=[key.algorithm_name],
            issuer=self._as_issuer,
            audience=self.resource_url,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )

    async def challenge(self, send, status: int, **params: str) -> None:
        attrs = [f'resource_metadata="{self.prm_url}"', *(f'{k}="{v}"' for k, v in params.items())]
        body = json.dumps({"error": params.get("error", "invalid_token"),
                           "error_description": params.get("error_description")}).encode()
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"),
            (b"www-authenticate", f"Bearer {', '.join(attrs)}".encode()),
        ]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.mcp_app(scope, receive, send)  # lifespan
        path = scope["path"]
        if path in (PRM_PATH, f"{PRM_PATH}/mcp") and scope["method"] == "GET":
            doc = json.dumps(await anyio.to_thread.run_sync(self.metadata)).encode()
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", b"application/json"), (b"access-control-allow-origin", b"*")]})
            return await send({"type": "http.response.body", "body": doc})
        if path != "/mcp":
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"application/json")]})
            return await send({"type": "http.response.body", "body": b'{"error":"not_found"}'})
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        match = BEARER.match(header)
        if not match:
            return await self.challenge(send, 401)
        try:
            claims = await anyio.to_thread.run_sync(self.verify, match.group(1))
        except (jwt.PyJWTError, KeyError) as err:
            return await self.challenge(send, 401, error="invalid_token", error_description=type(err).__name__)
        scopes = str(claims.get("scope", "")).split()
        if self.required_scope not in scopes:
            return await self.challenge(send, 403, error="insufficient_scope", scope=self.required_scope,
                                        error_description=f"needs {self.required_scope}")
        claims_var.set(claims)
        await self.mcp_app(scope, receive, send)


def main() -> None:
    issuer = os.environ.get("LATCHKEY_ISSUER")
    resource_id = os.environ.get("LATCHKEY_RESOURCE_ID")
    if not issuer or not resource_id:
        raise SystemExit("set LATCHKEY_ISSUER (latchkey's issuer) and LATCHKEY_RESOURCE_ID")
    port = int(os.environ.get("PORT", "3001"))
    app = ProtectedMcp(issuer, f"http://127.0.0.1:{port}", resource_id,
                       os.environ.get("REQUIRED_SCOPE", "whoami"))
    logging.getLogger("mcp").setLevel(logging.WARNING)
    print(f"MCP server at {app.resource_url}, metadata at {app.prm_url}", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
