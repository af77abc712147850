#!/usr/bin/env bash
# Installs what the SDK interop suites need. Idempotent: re-running does nothing when up to date.
#   interop/node    -> npm ci (only when node_modules is missing or package-lock.json changed)
#   interop/browser -> npm ci (same rule; the Chromium suites, @stytch/vanilla-js and @stytch/react)
#   interop/mcp     -> npm ci (same rule; the MCP SDK end-to-end suite)
#   interop/python  -> .venv + pip install -r requirements.txt (only when missing or requirements changed)
#   interop/mcp-python -> its own .venv, same rule (the example MCP server in Python)
# Needs: node >= 18 with npm, python3 (with the venv module). Reaches only the npm registry and PyPI
# (and Debian's archive, if python3-venv has to be installed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_DIR="$ROOT/interop/node"
PY_DIR="$ROOT/interop/python"

log() { printf '[setup-interop] %s\n' "$*"; }
hash_of() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

# ---- Node -------------------------------------------------------------------
command -v node >/dev/null || { log "node is not installed"; exit 1; }
command -v npm >/dev/null || { log "npm is not installed"; exit 1; }
want="$(hash_of "$NODE_DIR/package.json" "$NODE_DIR/package-lock.json")"
stamp="$NODE_DIR/node_modules/.latchkey-setup-stamp"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -d "$NODE_DIR/node_modules/stytch" ]]; then
  log "interop/node: node_modules up to date"
else
  log "interop/node: npm ci"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

# ---- Browser end-to-end suites (playwright-core; the browser itself is Debian's chromium):
#      hosted pages, @stytch/vanilla-js, and @stytch/react's <B2BIdentityProvider/> (bundled by
#      esbuild at test time from these pinned packages: react, react-dom, esbuild) ----
BROWSER_DIR="$ROOT/interop/browser"
want="$(hash_of "$BROWSER_DIR/package.json" "$BROWSER_DIR/package-lock.json")"
stamp="$BROWSER_DIR/node_modules/.latchkey-setup-stamp"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -d "$BROWSER_DIR/node_modules/playwright-core" && -d "$BROWSER_DIR/node_modules/@stytch/react" ]]; then
  log "interop/browser: node_modules up to date"
else
  log "interop/browser: npm ci"
  (cd "$BROWSER_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

# ---- MCP end-to-end suite (@modelcontextprotocol/sdk, jose, playwright-core; Debian's chromium) ----
MCP_DIR="$ROOT/interop/mcp"
want="$(hash_of "$MCP_DIR/package.json" "$MCP_DIR/package-lock.json")"
stamp="$MCP_DIR/node_modules/.latchkey-setup-stamp"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -d "$MCP_DIR/node_modules/@modelcontextprotocol/sdk" ]]; then
  log "interop/mcp: node_modules up to date"
else
  log "interop/mcp: npm ci"
  (cd "$MCP_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

# ---- Python -----------------------------------------------------------------
command -v python3 >/dev/null || { log "python3 is not installed"; exit 1; }

# A venv in $1 with $1/requirements.txt installed (only when missing or requirements changed).
python_venv() {
  local dir="$1" venv="$1/.venv" name
  name="${dir#"$ROOT/"}"
  local want stamp
  want="$(hash_of "$dir/requirements.txt")"
  stamp="$venv/.latchkey-setup-stamp"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/python" ]]; then
    log "$name: .venv up to date"
    return
  fi
  if [[ ! -x "$venv/bin/python" ]]; then
    log "$name: creating .venv"
    if ! python3 -m venv "$venv" 2>/tmp/setup-interop-venv.err; then
      rm -rf "$venv"
      # Debian ships venv/ensurepip separately.
      if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        pyver="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        log "python3 -m venv failed; installing python3-venv from Debian"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${pyver}-venv" ||
          DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
        python3 -m venv "$venv"
      else
        cat /tmp/setup-interop-venv.err >&2
        log "python3 -m venv failed; install python3-venv"
        exit 1
      fi
    fi
  fi
  log "$name: pip install -r requirements.txt"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$dir/requirements.txt"
  echo "$want" >"$stamp"
}

python_venv "$PY_DIR"
# The example MCP server in Python (MCP Python SDK, PyJWT), run by tests/api/mcp_python.rs.
python_venv "$ROOT/interop/mcp-python"

log "done. Run: (cd interop/node && node --test test/)  and  (cd interop/python && .venv/bin/python -m pytest)"
