// Shared helpers for the latchkey interop tests (official `stytch` Node SDK).
// Not under test/ on purpose: node --test would treat every .mjs there as a test file.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as stytch from "stytch";

export { stytch };

const REQUIRED = ["LATCHKEY_BASE_URL", "LATCHKEY_PROJECT_ID", "LATCHKEY_SECRET"];

/** Reads the environment; throws (so the calling test FAILS, never skips) when something is missing. */
export function config() {
  const missing = REQUIRED.filter((k) => !process.env[k]);
  if (missing.length) {
    throw new Error(
      `latchkey interop: missing environment variable(s) ${missing.join(", ")}; ` +
        "set LATCHKEY_BASE_URL (e.g. http://127.0.0.1:41234), LATCHKEY_PROJECT_ID and LATCHKEY_SECRET",
    );
  }
  return {
    baseUrl: process.env.LATCHKEY_BASE_URL,
    projectId: process.env.LATCHKEY_PROJECT_ID,
    secret: process.env.LATCHKEY_SECRET,
  };
}

/** Base URL with exactly one trailing slash. The SDK joins paths with `new URL("/v1/...", env)`. */
export function baseUrl() {
  return config().baseUrl.replace(/\/+$/, "") + "/";
}

let cached;
/** The official SDK client, pointed at latchkey through the `env` option (a plain http URL is accepted there). */
export function client() {
  if (!cached) {
    const c = config();
    cached = new stytch.B2BClient({ project_id: c.projectId, secret: c.secret, env: baseUrl() });
  }
  return cached;
}

/** A client whose secret is wrong. */
export function badClient() {
  const c = config();
  return new stytch.B2BClient({ project_id: c.projectId, secret: c.secret + "-wrong", env: baseUrl() });
}

/** Short random suffix, so the suites can run many times against one database. */
export function uniq() {
  return `${Date.now().toString(36)}${randomBytes(4).toString("hex")}`;
}

/** Creates an organization with a unique slug; extra fields are merged into the request. */
export async function createOrg(extra = {}) {
  const u = uniq();
  const res = await client().organizations.create({
    organization_name: `Interop Org ${u}`,
    organization_slug: `interop-${u}`,
    ...extra,
  });
  return res.organization;
}

/**
 * Asserts that `promise` rejects with the SDK's StytchError carrying the given error_type and status.
 * Returns the error for further checks.
 */
export async function expectStytchError(promise, errorType, statusCode) {
  let err;
  try {
    const res = await promise;
    assert.fail(`expected StytchError ${errorType} (${statusCode}), got success: ${JSON.stringify(res)}`);
  } catch (e) {
    err = e;
  }
  if (err instanceof assert.AssertionError) throw err;
  assert.ok(
    err instanceof stytch.StytchError,
    `expected stytch.StytchError, got ${err && err.constructor && err.constructor.name}: ${err && err.message}`,
  );
  assert.equal(err.error_type, errorType, `error_type (full error: ${err.message})`);
  assert.equal(err.status_code, statusCode, `status_code (full error: ${err.message})`);
  assert.equal(typeof err.request_id, "string", "error request_id");
  assert.ok(err.request_id.length > 0, "error request_id is non-empty");
  assert.equal(typeof err.error_message, "string", "error_message");
  assert.equal(typeof err.error_url, "string", "error_url");
  return err;
}

/** Checks the success envelope every Stytch response carries. */
export function assertEnvelope(res, status = 200) {
  assert.equal(res.status_code, status, "status_code in body");
  assert.equal(typeof res.request_id, "string", "request_id in body");
  assert.ok(res.request_id.length > 0, "request_id is non-empty");
}

/** Follows search cursors until next_cursor is empty; returns every page. Bounded to 50 pages. */
export async function allPages(searchFn, request) {
  const pages = [];
  let cursor;
  for (let i = 0; i < 50; i++) {
    const res = await searchFn({ ...request, ...(cursor ? { cursor } : {}) });
    pages.push(res);
    cursor = res.results_metadata && res.results_metadata.next_cursor;
    if (!cursor) return pages;
  }
  throw new Error("pagination did not terminate within 50 pages");
}
