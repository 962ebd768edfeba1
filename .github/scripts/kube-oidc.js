#!/usr/bin/env node
// Kubernetes API access from a GitHub Actions job without a stored credential: the API server trusts
// GitHub's OIDC issuer (a JWT authenticator, see docs/ci.md "Cluster access"), and kubectl, Helm and
// the Pulumi Kubernetes provider ask this script for a fresh job token whenever the last one expires.
//
//   kube-oidc.js kubeconfig FILE   writes a kubeconfig for $KUBE_API_SERVER (CA: $KUBE_CA_DATA, base64
//                                  PEM) whose user runs `kube-oidc.js token $KUBE_OIDC_AUDIENCE`, and
//                                  exports KUBECONFIG=FILE to the following steps
//   kube-oidc.js token AUDIENCE    prints an ExecCredential (client.authentication.k8s.io/v1)
"use strict";
const path = require("path");
const { githubIdToken, jwtExpiry } = require("./github-id-token");
const { exportVariables } = require("./environment-files");
const { OutputFolder } = require("./output-folder");

const EXEC_API = "client.authentication.k8s.io/v1";
/** Ask for a new token this long before the current one expires. */
const REFRESH_MARGIN_MS = 60_000;

function kubeconfig(env) {
  const server = env.KUBE_API_SERVER ?? "";
  const audience = env.KUBE_OIDC_AUDIENCE ?? "";
  const caData = (env.KUBE_CA_DATA ?? "").trim();
  let url;
  try {
    url = new URL(server);
  } catch {
    url = undefined;
  }
  // WHATWG URL parsing drops tabs and newlines silently; the kubeconfig would keep them.
  if (!url || url.protocol !== "https:" || /[\u0000-\u0020\u007f]/.test(server)) {
    throw new Error(`KUBE_API_SERVER must be the API server's https:// URL, got ${JSON.stringify(server)}`);
  }
  if (!/^[\x21-\x7e]+$/.test(audience)) {
    throw new Error(
      `KUBE_OIDC_AUDIENCE must be the audience the API server's JWT authenticator accepts, got ${JSON.stringify(audience)}`,
    );
  }
  if (caData && !Buffer.from(caData, "base64").toString("utf8").includes("-----BEGIN CERTIFICATE-----")) {
    throw new Error("KUBE_CA_DATA must be the base64 of the API server's CA certificate (PEM)");
  }
  const cluster = { server, ...(caData ? { "certificate-authority-data": caData } : {}) };
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "mlstack", cluster }],
    users: [
      {
        name: "github-actions",
        user: {
          exec: {
            apiVersion: EXEC_API,
            command: process.execPath,
            args: [path.resolve(__filename), "token", audience],
            interactiveMode: "Never",
            provideClusterInfo: false,
          },
        },
      },
    ],
    contexts: [{ name: "mlstack", context: { cluster: "mlstack", user: "github-actions" } }],
    "current-context": "mlstack",
  };
}

async function main(argv, env = process.env) {
  const [command, arg] = argv;
  if (command === "kubeconfig" && arg) {
    const document = kubeconfig(env);
    const folder = new OutputFolder(path.dirname(path.resolve(arg)), "kube-oidc", env);
    const file = folder.write(path.basename(arg), JSON.stringify(document, null, 2) + "\n", 0o600);
    if (env.GITHUB_ENV) exportVariables({ KUBECONFIG: file }, env);
    process.stdout.write(`Wrote ${arg}: ${document.clusters[0].cluster.server} with GitHub OIDC tokens\n`);
    return;
  }
  if (command === "token" && arg) {
    const token = await githubIdToken(arg, env);
    const expires = new Date(jwtExpiry(token).getTime() - REFRESH_MARGIN_MS);
    const credential = {
      apiVersion: EXEC_API,
      kind: "ExecCredential",
      status: { token, expirationTimestamp: expires.toISOString().replace(/\.\d{3}Z$/, "Z") },
    };
    process.stdout.write(JSON.stringify(credential) + "\n");
    return;
  }
  throw new Error("usage: kube-oidc.js kubeconfig FILE | kube-oidc.js token AUDIENCE");
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`kube-oidc: ${err.message}\n`);
  process.exitCode = 1;
});
