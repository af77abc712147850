// Raw HTTP checks (no SDK): the Stytch envelope on a DELETE, success and error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { config, baseUrl, createOrg } from "../lib/env.mjs";

function basic(secret) {
  const c = config();
  return "Basic " + Buffer.from(`${c.projectId}:${secret ?? c.secret}`).toString("base64");
}

async function raw(method, path, { secret, body, headers } = {}) {
  const res = await fetch(new URL(path, baseUrl()), {
    method,
    headers: { Authorization: basic(secret), ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    assert.fail(`${method} ${path}: body is not JSON (HTTP ${res.status}, content-type ${res.headers.get("content-type")}): ${text}`);
  }
  return { status: res.status, contentType: res.headers.get("content-type") || "", json };
}

test("raw DELETE of an organization returns a JSON body with request_id and status_code", async () => {
  const org = await createOrg();
  const r = await raw("DELETE", `/v1/b2b/organizations/${encodeURIComponent(org.organization_id)}`);
  assert.equal(r.status, 200);
  assert.match(r.contentType, /application\/json/);
  assert.equal(r.json.status_code, 200);
  assert.equal(typeof r.json.request_id, "string");
  assert.ok(r.json.request_id.length > 0);
  assert.equal(r.json.organization_id, org.organization_id);
});

test("raw DELETE with an empty JSON body (what the Node SDK sends) is accepted", async () => {
  const org = await createOrg();
  const r = await raw("DELETE", `/v1/b2b/organizations/${encodeURIComponent(org.organization_id)}`, { body: {} });
  assert.equal(r.status, 200);
  assert.equal(r.json.organization_id, org.organization_id);
});

test("raw DELETE of an unknown organization returns the Stytch error envelope", async () => {
  const r = await raw("DELETE", "/v1/b2b/organizations/organization-test-00000000-0000-4000-8000-000000000000");
  assert.equal(r.status, 404);
  assert.match(r.contentType, /application\/json/);
  assert.equal(r.json.status_code, 404);
  assert.equal(typeof r.json.request_id, "string");
  assert.equal(r.json.error_type, "organization_not_found");
  assert.equal(typeof r.json.error_message, "string");
  assert.equal(typeof r.json.error_url, "string");
});

test("raw request without credentials -> 401 unauthorized_credentials envelope", async () => {
  const res = await fetch(new URL("/v1/b2b/organizations/search", baseUrl()), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: "{}",
  });
  const json = await res.json();
  assert.equal(res.status, 401);
  assert.equal(json.status_code, 401);
  assert.equal(json.error_type, "unauthorized_credentials");
  assert.equal(typeof json.request_id, "string");
});

test("raw DELETE with a wrong secret -> 401 JSON envelope", async () => {
  const r = await raw("DELETE", "/v1/b2b/organizations/organization-test-00000000-0000-4000-8000-000000000000", {
    secret: "secret-test-wrong",
  });
  assert.equal(r.status, 401);
  assert.equal(r.json.status_code, 401);
  assert.equal(r.json.error_type, "unauthorized_credentials");
});
