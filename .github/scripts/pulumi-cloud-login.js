#!/usr/bin/env node
// Logs a job in to Pulumi Cloud without a stored token: exchanges the job's GitHub OIDC token for a
// short-lived Pulumi access token (OAuth 2.0 token exchange, POST /api/oauth/token) and exports it as
// PULUMI_ACCESS_TOKEN for the following steps, masked in the log.
//
// Pulumi Cloud must trust GitHub as an OIDC issuer (https://token.actions.githubusercontent.com) with
// a policy that matches this repository's `sub` claims (see docs/ci.md, "State and secrets").
//
// Environment: PULUMI_ORGANIZATION (required), PULUMI_CLOUD_URL (default https://api.pulumi.com),
// PULUMI_TEAM (request a team token instead of an organization token), PULUMI_TOKEN_EXPIRATION
// (seconds, default 7200: a long `pulumi up` must not outlive its token).
"use strict";
const { githubIdToken } = require("./github-id-token");
const { exportVariables } = require("./environment-files");

async function main(env = process.env) {
  const organization = env.PULUMI_ORGANIZATION;
  if (!organization || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(organization)) {
    throw new Error(
      `PULUMI_ORGANIZATION must name the Pulumi Cloud organization, got ${JSON.stringify(organization)}`,
    );
  }
  if (env.PULUMI_TEAM && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(env.PULUMI_TEAM)) {
    throw new Error(`PULUMI_TEAM must name a Pulumi Cloud team, got ${JSON.stringify(env.PULUMI_TEAM)}`);
  }
  const cloudUrl = env.PULUMI_CLOUD_URL || "https://api.pulumi.com";
  const expiration = Number(env.PULUMI_TOKEN_EXPIRATION || 7200);
  if (!Number.isInteger(expiration) || expiration < 300 || expiration > 86400) {
    throw new Error(
      `PULUMI_TOKEN_EXPIRATION must be whole seconds between 300 and 86400, got ${env.PULUMI_TOKEN_EXPIRATION}`,
    );
  }
  const audience = `urn:pulumi:org:${organization}`;
  const subjectToken = await githubIdToken(audience, env);
  const body = {
    audience,
    grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
    subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
    requested_token_type: `urn:pulumi:token-type:access_token:${env.PULUMI_TEAM ? "team" : "organization"}`,
    subject_token: subjectToken,
    expiration,
    ...(env.PULUMI_TEAM ? { scope: `team:${env.PULUMI_TEAM}` } : {}),
  };
  const response = await fetch(
    new URL("api/oauth/token", cloudUrl.endsWith("/") ? cloudUrl : `${cloudUrl}/`),
    {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    },
  );
  const text = await response.text();
  let result;
  try {
    result = JSON.parse(text);
  } catch {
    result = {};
  }
  if (!response.ok || typeof result.access_token !== "string") {
    const reason = result.error
      ? `${result.error}: ${result.error_description ?? ""}`
      : `HTTP ${response.status}`;
    throw new Error(
      `Pulumi Cloud refused the token exchange for ${audience} (${reason}); check the organization's OIDC issuer policy for this repository`,
    );
  }
  // A token is one printable word. Anything else (a line break above all) would end the mask command
  // early and print the rest of the token, or a workflow command, to the log.
  if (!/^[\x21-\x7e]{8,4096}$/.test(result.access_token)) {
    throw new Error(
      `Pulumi Cloud answered an access token that is not one printable word (${result.access_token.length} characters); refusing to mask or export it`,
    );
  }
  if (!env.GITHUB_ENV) throw new Error("GITHUB_ENV is not set: run this in a GitHub Actions job");
  // Mask first, so the token can never appear in the log, then hand it to later steps.
  process.stdout.write(`::add-mask::${result.access_token}\n`);
  exportVariables({ PULUMI_ACCESS_TOKEN: result.access_token }, env);
  process.stdout.write(
    `Logged in to ${cloudUrl} as organization ${organization} (token valid ${expiration}s)\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`pulumi-cloud-login: ${err.message}\n`);
  process.exitCode = 1;
});
