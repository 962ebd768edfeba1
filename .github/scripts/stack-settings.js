#!/usr/bin/env node
// What a CI job needs to know about one shipped stack, read with the project's own config parser so
// that CI and `pulumi up` can never disagree: its target and environment, its secrets provider, how
// the runner reaches its cluster, and the CrossGuard pack config `pulumi preview/up --policy-pack
// policies` runs with.
//
//   node .github/scripts/stack-settings.js <stack> [--pack-config FILE]
//
// Prints the settings as JSON; on a runner also writes them as step outputs ($GITHUB_OUTPUT, in the
// delimiter form: no setting can add an output of its own). The pack config is written through the
// CI write guard (output-folder.js): only into a folder of its own, never the repository root.
// Exit 2 when the stack file is missing, its config is invalid, or a setting holds a control character
// (a cluster name or context with a newline is never valid and would reach shell steps); the message
// names the key and the value.
"use strict";
const fs = require("fs");
const path = require("path");
const swc = require("@swc/core");
const YAML = require("yaml");
const { EnvironmentFileError, setOutputs } = require("./environment-files");
const { OutputFolder, OutputFolderError } = require("./output-folder");

const ROOT = path.resolve(__dirname, "../..");

// The project is TypeScript: transpile its modules on load, as bin/mlstack.js does.
require.extensions[".ts"] = function compileTypeScript(module, filename) {
  const { code } = swc.transformSync(fs.readFileSync(filename, "utf8"), {
    jsc: { parser: { syntax: "typescript" }, target: "es2022" },
    module: { type: "commonjs" },
    filename,
  });
  module._compile(code, filename);
};

/** The pack config: each rule that reads a setting gets the stack's value; levels stay the pack's defaults. */
function packConfig(config, rules) {
  const values = { target: config.target, environment: config.environment, registries: config.registries };
  const document = {};
  for (const rule of rules) {
    if (rule.settings.length === 0) continue;
    document[rule.name] = Object.fromEntries(rule.settings.map((s) => [s, values[s]]));
  }
  return document;
}

/** How the runner gets credentials for the cluster's Kubernetes API. */
function clusterAccess(config) {
  if (config.target === "aws") {
    const { region, cluster } = config.aws;
    // A kubeconfig or a stack reference in the stack config needs nothing from the runner.
    if (cluster.access.kind !== "context") return { cluster_access: "stack-config" };
    return {
      cluster_access: "eks",
      aws_region: region,
      eks_cluster: cluster.name,
      kube_context: cluster.access.context,
    };
  }
  if (config.target === "gcp") {
    const { cluster } = config.gcp;
    if (cluster.access.kind !== "kubeconfig" || cluster.access.kubeconfig)
      return { cluster_access: "stack-config" };
    return {
      cluster_access: "gke",
      gke_project: cluster.project,
      gke_location: cluster.location,
      gke_cluster: cluster.name,
      kube_context: cluster.access.context,
    };
  }
  // kubernetes / openshift: the ambient kubeconfig (GitHub OIDC to the API server, or an in-cluster runner).
  return { cluster_access: "kubernetes" };
}

/**
 * The stack's secrets provider, from the stack file's own keys: the scheme of `secretsprovider`
 * (awskms, gcpkms, …), `passphrase` when it has an `encryptionsalt`, else `default` (the Pulumi Cloud
 * service, or a passphrase for a stack not yet initialised in a bucket backend).
 */
function secretsProvider(stackFile) {
  const document = YAML.parse(fs.readFileSync(stackFile, "utf8")) || {};
  if (typeof document.secretsprovider === "string") {
    const scheme = /^([a-z0-9]+):\/\//.exec(document.secretsprovider);
    return scheme ? scheme[1] : document.secretsprovider;
  }
  return document.encryptionsalt ? "passphrase" : "default";
}

/**
 * The `mlstack:*` keys without their namespace, structured values decoded: what `platformKeys` in
 * stacks/config/index.ts does, repeated here because that module loads @pulumi/pulumi (~2 s) and this
 * script runs in every CI job.
 */
function platformKeys(all) {
  const raw = {};
  for (const [key, value] of Object.entries(all)) {
    if (!key.startsWith("mlstack:")) continue;
    const trimmed = value.trim();
    let decoded = value;
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        decoded = JSON.parse(trimmed);
      } catch {
        decoded = value;
      }
    }
    raw[key.slice("mlstack:".length)] = decoded;
  }
  return raw;
}

function settings(stack) {
  const { loadStackConfig } = require(path.join(ROOT, "cli/plan/stackConfig.ts"));
  const { parseConfig } = require(path.join(ROOT, "stacks/config/parse.ts"));
  const stackConfig = loadStackConfig(ROOT, stack);
  const config = parseConfig(platformKeys(stackConfig.config), { project: stackConfig.project, stack });
  const outputs = {
    stack,
    target: config.target,
    environment: config.environment,
    secrets_provider: secretsProvider(stackConfig.file),
    ...clusterAccess(config),
  };
  return { config, outputs };
}

/** Control characters (C0, DEL, C1) and the Unicode line and paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

class SettingError extends Error {}

/** Refuses a setting no cluster, region or context name can hold. */
function checkSettings(outputs) {
  for (const [key, value] of Object.entries(outputs)) {
    if (typeof value !== "string") {
      throw new SettingError(`setting ${key} is ${JSON.stringify(value)}, not a string`);
    }
    if (CONTROL.test(value)) {
      throw new SettingError(
        `setting ${key} is ${JSON.stringify(value)}: control characters (newlines, tabs, escapes) are not allowed in a stack setting CI passes on`,
      );
    }
  }
}

function main(argv) {
  const args = [...argv];
  const at = args.indexOf("--pack-config");
  const packConfigFile = at >= 0 ? args[at + 1] : undefined;
  if (at >= 0) args.splice(at, 2);
  if (args.length !== 1 || (at >= 0 && !packConfigFile)) {
    process.stderr.write("usage: stack-settings.js <stack> [--pack-config FILE]\n");
    return 2;
  }
  try {
    const { config, outputs } = settings(args[0]);
    checkSettings(outputs);
    if (packConfigFile) {
      const { ALL_RULES } = require(path.join(ROOT, "policies/catalog.ts"));
      const folder = new OutputFolder(path.dirname(path.resolve(packConfigFile)), "stack-settings");
      const written = folder.write(
        path.basename(packConfigFile),
        JSON.stringify(packConfig(config, ALL_RULES), null, 2) + "\n",
      );
      outputs.pack_config = written;
      checkSettings(outputs);
    }
    if (process.env.GITHUB_OUTPUT) setOutputs(outputs);
    process.stdout.write(JSON.stringify(outputs, null, 2) + "\n");
    return 0;
  } catch (err) {
    // Bad input (unknown stack, invalid config, a hostile setting or output path) is named with its key
    // and value, without a trace; anything else is a bug and keeps its trace.
    const kind = err && err.constructor && err.constructor.name;
    const expected =
      kind === "ConfigError" ||
      kind === "StackFileError" ||
      err instanceof SettingError ||
      err instanceof OutputFolderError ||
      err instanceof EnvironmentFileError;
    if (!expected) throw err;
    process.stderr.write(`stack-settings: ${err.message}\n`);
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
