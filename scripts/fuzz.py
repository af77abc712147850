#!/usr/bin/env python3
"""Sends generated malformed requests to a running latchkey and checks every answer.

Called by scripts/fuzz.sh (which starts the server); usable alone against any loopback server:

    scripts/fuzz.py --base http://127.0.0.1:PORT --project-id P --secret S [--count N] [--seed K]

Per endpoint family (oauth, api, pages, discovery) it sends --count requests: random methods,
content types, bodies (random JSON of the wrong shapes, truncated JSON, bytes that are not
UTF-8, forms with random fields), path segments (including percent-encoded invalid UTF-8) and
credentials. It reports per family and status, and any answer that is

  * a 5xx,
  * in the wrong envelope: the OAuth endpoints answer RFC 6749 JSON (`error`), the management
    API Stytch's (`status_code`, `request_id`, `error_type`, `error_message`), the hosted pages
    HTML,
  * or lost (connection reset: a crash).

Exit status 1 when anything was found. Loopback only: the base URL must be 127.0.0.1 or [::1].
Standard library only.
"""

import argparse
import base64
import http.client
import json
import random
import sys
import urllib.parse
from collections import Counter, defaultdict

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]
OAUTH_PATHS = ["/v1/oauth2/token", "/v1/oauth2/introspect", "/v1/oauth2/revoke", "/v1/oauth2/userinfo"]
API_PATHS = [
    "/v1/b2b/organizations",
    "/v1/b2b/organizations/search",
    "/v1/b2b/organizations/{x}",
    "/v1/b2b/organizations/{x}/members",
    "/v1/b2b/organizations/{x}/members/{x}",
    "/v1/b2b/organizations/members/search",
    "/v1/b2b/sessions/authenticate",
    "/v1/b2b/sessions/exchange",
    "/v1/b2b/sessions/jwks/{x}",
    "/v1/b2b/passwords/authenticate",
    "/v1/b2b/passwords/migrate",
    "/v1/b2b/magic_links/authenticate",
    "/v1/b2b/magic_links/email/login_or_signup",
    "/v1/b2b/idp/oauth/authorize/start",
    "/v1/b2b/idp/oauth/authorize",
    "/v1/connected_apps/clients",
    "/v1/connected_apps/clients/search",
    "/v1/connected_apps/clients/{x}",
]
PAGE_PATHS = ["/oauth2/authorize", "/oauth2/authorize/continue", "/oauth2/authorize/email",
              "/oauth2/authorize/password", "/oauth2/authorize/consent", "/oauth2/logout"]
DISCOVERY_PATHS = ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server",
                   "/.well-known/jwks.json", "/v1/public/{x}/.well-known/openid-configuration"]
FIELDS = ["grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope",
          "client_id", "client_secret", "token", "token_type_hint", "response_type", "state",
          "code_challenge", "code_challenge_method", "prompt", "id_token_hint", "organization_id",
          "member_id", "email_address", "password", "session_token", "session_jwt", "query",
          "limit", "cursor", "client_type", "redirect_urls", "csrf_token"]


def junk_text(r):
    choices = [
        "", " ", "a" * r.randint(1, 300), "authorization_code", "refresh_token", "openid email",
        "https://evil.example/cb", "http://127.0.0.1:1/cb", "javascript:alert(1)", "null", "{}",
        "%ff%fe", "\u0000", "\u202e", "🦀", "organization-test-00000000-0000-0000-0000-000000000000",
        "' OR 1=1 --", "../../etc/passwd", "-1", "99999999999999999999", "1e400", "true",
        "eyJhbGciOiJub25lIn0.eyJhdWQiOlsicHJvamVjdC14Il19.",
    ]
    if r.random() < 0.3:
        return "".join(chr(r.randint(1, 0x2FFF)) for _ in range(r.randint(0, 40)))
    return r.choice(choices)


def junk_json(r, depth=0):
    k = r.randint(0, 7 if depth < 3 else 4)
    if k == 0:
        return None
    if k == 1:
        return r.choice([True, False])
    if k == 2:
        return r.choice([0, -1, 2**63, 2**64, 1.5, r.randint(-10**6, 10**6)])
    if k <= 4:
        return junk_text(r)
    if k == 5:
        return [junk_json(r, depth + 1) for _ in range(r.randint(0, 4))]
    return {r.choice(FIELDS + [junk_text(r)]): junk_json(r, depth + 1) for _ in range(r.randint(0, 6))}


def body(r):
    """A (content type, bytes) pair, usually wrong in some way."""
    k = r.randint(0, 6)
    if k == 0:
        return None, b""
    if k == 1:
        return "application/json", json.dumps(junk_json(r)).encode()
    if k == 2:
        text = json.dumps({f: junk_json(r) for f in r.sample(FIELDS, r.randint(1, 6))})
        return "application/json", text[: r.randint(0, len(text))].encode()
    if k == 3:
        pairs = [(f, junk_text(r)) for f in r.sample(FIELDS, r.randint(0, 8))]
        return "application/x-www-form-urlencoded", urllib.parse.urlencode(pairs).encode()
    if k == 4:
        return r.choice(["application/x-www-form-urlencoded", "application/json", "text/plain"]), bytes(
            r.randint(0, 255) for _ in range(r.randint(0, 200)))
    if k == 5:
        return "multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=code\r\n\r\nq\r\n"
    return "text/plain", junk_text(r).encode("utf-8", "surrogatepass")


def segment(r, project_id):
    return r.choice([project_id, "%ff%fe", "%00", "..", "a" * 500, urllib.parse.quote(junk_text(r), safe=""),
                     "organization-test-00000000-0000-4000-8000-000000000000", "connected-app-test-x"])


def query(r):
    if r.random() < 0.4:
        return ""
    pairs = [(f, junk_text(r)) for f in r.sample(FIELDS, r.randint(0, 8))]
    q = urllib.parse.urlencode(pairs)
    return "?" + (q + "&%ff=%fe" if r.random() < 0.2 else q)


def hval(s):
    """A header value http.client will send: printable ASCII."""
    return "".join(c for c in s if 0x20 <= ord(c) < 0x7F)


def credentials(r, project_id, secret):
    k = r.randint(0, 5)
    if k == 0:
        return {}
    if k <= 2:
        return {"Authorization": "Basic " + base64.b64encode(f"{project_id}:{secret}".encode()).decode()}
    if k == 3:
        return {"Authorization": "Basic " + base64.b64encode(junk_text(r).encode()).decode()}
    if k == 4:
        return {"Authorization": "Bearer " + hval(junk_text(r))}
    return {"Authorization": hval(junk_text(r))}


def check(family, status, headers, data):
    """What is wrong with an answer, or None."""
    if status >= 500:
        return f"{status}"
    ctype = headers.get("content-type", "")
    if status < 400 or family == "discovery" and status == 404:
        return None
    if family == "pages":
        return None if "text/html" in ctype else f"{status} not HTML ({ctype})"
    try:
        doc = json.loads(data)
    except ValueError:
        return f"{status} not JSON ({ctype})"
    oauth_shape = isinstance(doc, dict) and isinstance(doc.get("error"), str)
    if family == "oauth":
        return None if oauth_shape else f"{status} not RFC 6749 JSON"
    if family == "discovery" and oauth_shape:
        return None
    keys = ["status_code", "request_id", "error_type", "error_message"]
    if not isinstance(doc, dict) or any(k not in doc for k in keys):
        return f"{status} not Stytch JSON"
    if doc["status_code"] != status:
        return f"{status} with status_code {doc['status_code']}"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--project-id", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--count", type=int, default=1000, help="requests per family")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    url = urllib.parse.urlsplit(a.base)
    if url.hostname not in ("127.0.0.1", "::1"):
        sys.exit("fuzz.py talks to loopback addresses only")
    r = random.Random(a.seed)
    families = {"oauth": OAUTH_PATHS, "api": API_PATHS, "pages": PAGE_PATHS, "discovery": DISCOVERY_PATHS}
    statuses = defaultdict(Counter)
    findings = defaultdict(list)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    for family, paths in families.items():
        for _ in range(a.count):
            path = r.choice(paths)
            while "{x}" in path:
                path = path.replace("{x}", segment(r, a.project_id), 1)
            if r.random() < 0.1 and family in ("oauth", "discovery"):
                path = f"/v1/public/{segment(r, a.project_id)}" + path.removeprefix("/v1")
            method = r.choice(METHODS) if r.random() < 0.3 else ("GET" if family in ("pages", "discovery") else "POST")
            ctype, data = body(r) if method not in ("GET", "HEAD") else (None, b"")
            headers = credentials(r, a.project_id, a.secret)
            if ctype:
                headers["Content-Type"] = ctype
            if r.random() < 0.1:
                headers["Cookie"] = "latchkey_authz=" + hval(junk_text(r))
            target = path + query(r)
            answer = None
            # The server may close a kept-alive connection after an error it answered without
            # reading the body: that is no crash, so the request is retried once on a new one.
            for attempt in range(2):
                try:
                    conn.request(method, target, body=data or None, headers=headers)
                    resp = conn.getresponse()
                    payload = resp.read()
                    answer = resp.status, {k.lower(): v for k, v in resp.getheaders()}
                    if resp.getheader("connection", "").lower() == "close":
                        conn.close()
                    break
                except (http.client.HTTPException, OSError) as e:
                    conn.close()
                    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
                    if attempt == 1:
                        findings[family].append((f"{method} {target[:120]}", f"connection lost ({e})"))
            if answer is None:
                continue
            status, rheaders = answer
            statuses[family][status] += 1
            if method == "HEAD":
                continue
            wrong = check(family, status, rheaders, payload)
            if wrong:
                findings[family].append((f"{method} {target[:120]} [{ctype}]", wrong))
    bad = 0
    for family in families:
        line = ", ".join(f"{s}: {n}" for s, n in sorted(statuses[family].items()))
        print(f"{family}: {a.count} requests ({line}); {len(findings[family])} findings")
        kinds = Counter(w for _, w in findings[family])
        for kind, n in kinds.most_common():
            example = next(req for req, w in findings[family] if w == kind)
            print(f"  {n:5} x {kind}   e.g. {example}")
        bad += len(findings[family])
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
