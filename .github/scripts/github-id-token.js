// A GitHub Actions OIDC ID token for one audience. The runner hands a job that has
// `permissions: id-token: write` a request URL and a bearer token for it; nothing is stored.
"use strict";

/** Requests a token whose `aud` claim is `audience`. Throws with the reason when the job may not. */
async function githubIdToken(audience, env = process.env) {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !bearer) {
    throw new Error(
      "no GitHub OIDC token available: the job needs `permissions: id-token: write` (and pull requests from forks never get one)",
    );
  }
  const response = await fetch(`${url}&audience=${encodeURIComponent(audience)}`, {
    headers: { Authorization: `Bearer ${bearer}`, Accept: "application/json" },
  });
  if (!response.ok) {
    throw new Error(`GitHub refused an OIDC token for audience ${audience}: HTTP ${response.status}`);
  }
  const body = await response.json();
  if (!body || typeof body.value !== "string" || body.value === "") {
    throw new Error("GitHub's OIDC token response has no token");
  }
  return body.value;
}

/** The `exp` claim of a JWT as a Date (read without verifying: the issuer was just called over TLS). */
function jwtExpiry(token) {
  const payload = token.split(".")[1];
  if (!payload) throw new Error("the OIDC token is not a JWT");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  if (typeof claims.exp !== "number") throw new Error("the OIDC token has no exp claim");
  return new Date(claims.exp * 1000);
}

module.exports = { githubIdToken, jwtExpiry };
