// The Connected Apps authorization-code flow through the official stytch Node SDK: client
// management (connectedApp.clients), idp.oauth.authorizeStart/authorize, the token endpoint
// (plain fetch, form body, PKCE for public clients), idp.introspectTokenNetwork and
// idp.introspectTokenLocal, refresh, userinfo, revoke, and the member's connected apps
// (organizations.members.getConnectedApps / connectedApps.revoke).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { client, config, createOrg, uniq, stytch } from "../lib/env.mjs";

const REDIRECT = "https://app.example.com/cb";
const SCOPES = ["openid", "email", "profile", "offline_access"];

function base() {
  return config().baseUrl.replace(/\/+$/, "");
}

function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  return { verifier, challenge };
}

async function form(path, fields) {
  const res = await fetch(base() + path, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
  return { status: res.status, body: await res.json() };
}

function clientAuth(app) {
  const f = { client_id: app.client_id };
  if (app.client_secret) f.client_secret = app.client_secret;
  return f;
}

async function expectTokenInvalid(promise) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.code, "token_invalid", `${e}`);
    return true;
  });
}

for (const client_type of ["first_party", "third_party_public"]) {
  test(`authorization code flow for a ${client_type} client`, async () => {
    const sdk = client();
    const publicClient = client_type.endsWith("_public");
    const created = await sdk.connectedApp.clients.create({
      client_type,
      client_name: `Flow ${client_type} ${uniq()}`,
      client_description: "node SDK flow",
      redirect_urls: [REDIRECT],
    });
    const app = created.connected_app;
    assert.equal(typeof app.client_id, "string");
    assert.equal(publicClient, !app.client_secret);

    const org = await createOrg();
    const email = `flow-${uniq()}@example.com`;
    const { member } = await sdk.organizations.members.create({
      organization_id: org.organization_id,
      email_address: email,
      name: "Grace Hopper",
    });

    const request = {
      client_id: app.client_id,
      redirect_uri: REDIRECT,
      response_type: "code",
      scopes: SCOPES,
      organization_id: org.organization_id,
      member_id: member.member_id,
    };
    const start = await sdk.idp.oauth.authorizeStart(request);
    assert.equal(start.status_code, 200);
    assert.equal(start.member_id, member.member_id);
    assert.equal(start.client.client_id, app.client_id);
    assert.equal(start.connected_app.client_id, app.client_id);
    assert.equal(start.consent_required, true, "offline_access needs consent");
    assert.deepEqual(start.scope_results.map((s) => s.scope).sort(), [...SCOPES].sort());
    for (const r of start.scope_results) {
      assert.equal(r.is_grantable, true, r.scope);
      assert.equal(typeof r.description, "string");
    }

    const { verifier, challenge } = pkce();
    const submitted = await sdk.idp.oauth.authorize({
      ...request,
      consent_granted: true,
      state: "node-state",
      nonce: "node-nonce",
      ...(publicClient ? { code_challenge: challenge } : {}),
    });
    const back = new URL(submitted.redirect_uri);
    assert.equal(back.origin + back.pathname, REDIRECT);
    assert.equal(back.searchParams.get("state"), "node-state");
    assert.equal(back.searchParams.get("iss"), base());
    assert.equal(back.searchParams.get("code"), submitted.authorization_code);

    const redeemed = await form("/v1/oauth2/token", {
      grant_type: "authorization_code",
      code: submitted.authorization_code,
      redirect_uri: REDIRECT,
      ...clientAuth(app),
      ...(publicClient ? { code_verifier: verifier } : {}),
    });
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    const tokens = redeemed.body;
    assert.equal(tokens.token_type, "bearer");
    assert.equal(typeof tokens.id_token, "string");
    assert.equal(typeof tokens.refresh_token, "string");

    const network = await sdk.idp.introspectTokenNetwork({
      token: tokens.access_token,
      client_id: app.client_id,
      client_secret: app.client_secret ?? undefined,
    });
    assert.equal(network.subject, member.member_id);
    assert.equal(network.organization.organization_id, org.organization_id);
    assert.equal(network.organization.slug, org.organization_slug);
    assert.deepEqual(network.scope.split(" ").sort(), [...SCOPES].sort());
    assert.deepEqual(network.custom_claims, {});

    const local = await sdk.idp.introspectTokenLocal(tokens.access_token);
    assert.equal(local.subject, member.member_id);
    assert.equal(local.issuer, base());
    assert.equal(local.organization.organization_id, org.organization_id);
    assert.equal(local.token_type, "access_token");

    const refreshed = await form("/v1/oauth2/token", {
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
      ...clientAuth(app),
    });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    const currentRefresh = publicClient ? refreshed.body.refresh_token : tokens.refresh_token;
    if (publicClient) assert.notEqual(refreshed.body.refresh_token, tokens.refresh_token);
    else assert.equal(refreshed.body.refresh_token, undefined);

    const info = await fetch(base() + "/v1/oauth2/userinfo", {
      headers: { Authorization: `Bearer ${refreshed.body.access_token}` },
    });
    assert.equal(info.status, 200);
    const claims = await info.json();
    assert.equal(claims.sub, member.member_id);
    assert.equal(claims.email, email);
    assert.equal(claims.name, "Grace Hopper");

    const listed = await sdk.organizations.members.getConnectedApps({
      organization_id: org.organization_id,
      member_id: member.member_id,
    });
    const mine = listed.connected_apps.find((a) => a.connected_app_id === app.client_id);
    assert.ok(mine, JSON.stringify(listed));

    const revoked = await form("/v1/oauth2/revoke", { token: currentRefresh, ...clientAuth(app) });
    assert.equal(revoked.status, 200);
    await expectTokenInvalid(
      sdk.idp.introspectTokenNetwork({
        token: refreshed.body.access_token,
        client_id: app.client_id,
        client_secret: app.client_secret ?? undefined,
      }),
    );
    const after = await form("/v1/oauth2/token", {
      grant_type: "refresh_token",
      refresh_token: currentRefresh,
      ...clientAuth(app),
    });
    assert.equal(after.status, 400);
    assert.equal(after.body.error, "invalid_grant");

    // The member withdraws the app: it leaves their list.
    await sdk.organizations.members.connectedApps.revoke({
      organization_id: org.organization_id,
      member_id: member.member_id,
      connected_app_id: app.client_id,
    });
    const relisted = await sdk.organizations.members.getConnectedApps({
      organization_id: org.organization_id,
      member_id: member.member_id,
    });
    assert.equal(relisted.connected_apps.find((a) => a.connected_app_id === app.client_id), undefined);
  });
}
