/**
 * `serving.models[].args` and `.env` (runtime custom): what a hand-rolled server may be given.
 * Secrets arrive only by reference (`secretRef: { name, key }`, a Secret in the team namespace):
 * a literal would land in the Deployment, the stack state and `plan.json`. Literals are checked
 * with the policy pack's own detectors (policies/secretValues.ts), so config and pack agree.
 */
import { DNS1123_SUBDOMAIN_RULE, isDns1123Subdomain } from "../../components/kube/names";
import type { ModelEnvVar } from "../../components/serving/settings";
import { isLiteralSecretValue, isSecretName, secretFlag, secretMaterial } from "../../policies/secretValues";
import type { Reader } from "./reader";

/** A C identifier: what shells and most runtimes accept as an environment variable name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A Secret's data key (`IsConfigMapKey`). */
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
/** Names mlstack sets itself (runtimeEnv) or the grants hand over: a model must not shadow them. */
const RESERVED_ENV = new Set(["PORT", "MODEL_URI", "STORAGE_URI", "HOME", "BUCKET_NAME"]);
const RESERVED_ENV_PREFIXES = ["AWS_", "GOOGLE_", "KAFKA_", "MLFLOW_"];

export function parseCustomArgs(
  r: Reader,
  value: unknown,
  mpath: string,
  runtime: string,
): string[] | undefined {
  if (value === undefined) return undefined;
  const path = `${mpath}.args`;
  if (runtime !== "custom") {
    r.fail(
      path,
      value,
      `is only for runtime custom (this model's runtime is ${runtime}, whose command mlstack sets)`,
    );
    return undefined;
  }
  const args = r.array(value, path).map((arg, i) => {
    if (typeof arg !== "string" && typeof arg !== "number") {
      r.fail(`${path}[${i}]`, arg, "is not a string");
      return "";
    }
    const text = String(arg);
    const material = secretMaterial(text);
    if (material)
      r.fail(`${path}[${i}]`, "<redacted>", `holds ${material}; pass secrets through env with secretRef`);
    return text;
  });
  const flag = secretFlag(args);
  if (flag)
    r.fail(
      `${path}[${flag.index}]`,
      flag.flag,
      "passes a credential on the command line; read it from an env var with secretRef instead",
    );
  return args;
}

export function parseCustomEnv(
  r: Reader,
  value: unknown,
  mpath: string,
  runtime: string,
): ModelEnvVar[] | undefined {
  if (value === undefined) return undefined;
  const path = `${mpath}.env`;
  if (runtime !== "custom") {
    r.fail(
      path,
      value,
      `is only for runtime custom (this model's runtime is ${runtime}, whose env mlstack sets)`,
    );
    return undefined;
  }
  const seen = new Set<string>();
  return r.array(value, path).map((item, i): ModelEnvVar => {
    const epath = `${path}[${i}]`;
    const e = r.object(item, epath);
    r.knownKeys(e, epath, ["name", "value", "secretRef"]);
    const name = r.string(
      e,
      "name",
      epath,
      "",
      ENV_NAME,
      "an environment variable name (letters, digits, _; not starting with a digit)",
    );
    if (!name) r.fail(`${epath}.name`, e.name, "is required");
    else if (RESERVED_ENV.has(name) || RESERVED_ENV_PREFIXES.some((p) => name.startsWith(p)))
      r.fail(
        `${epath}.name`,
        name,
        `is set by mlstack (reserved: ${[...RESERVED_ENV].join(", ")} and ${RESERVED_ENV_PREFIXES.map((p) => `${p}*`).join(", ")})`,
      );
    else if (seen.has(name)) r.fail(`${epath}.name`, name, "is set twice");
    seen.add(name);
    if ((e.value === undefined) === (e.secretRef === undefined)) {
      r.fail(epath, "{…}", "needs exactly one of value or secretRef: { name, key }");
      return { name, value: "" };
    }
    if (e.secretRef !== undefined) {
      const rpath = `${epath}.secretRef`;
      const ref = r.object(e.secretRef, rpath);
      r.knownKeys(ref, rpath, ["name", "key"]);
      const secretName = r.string(ref, "name", rpath, "");
      if (!isDns1123Subdomain(secretName))
        r.fail(`${rpath}.name`, ref.name, `is not ${DNS1123_SUBDOMAIN_RULE}`);
      const key = r.string(
        ref,
        "key",
        rpath,
        "",
        SECRET_KEY,
        "a Secret key (letters, digits, '-', '_', '.')",
      );
      if (!key) r.fail(`${rpath}.key`, ref.key, "is required");
      return { name, secretRef: { name: secretName, key } };
    }
    const literal = typeof e.value === "number" || typeof e.value === "boolean" ? String(e.value) : e.value;
    if (typeof literal !== "string") {
      r.fail(`${epath}.value`, e.value, "is not a string");
      return { name, value: "" };
    }
    const material = secretMaterial(literal);
    if (material || (isSecretName(name) && isLiteralSecretValue(literal)))
      r.fail(
        `${epath}.value`,
        "<redacted>",
        `is a literal ${material ?? "secret"} under ${name}; reference a Secret instead: secretRef: { name, key }`,
      );
    return { name, value: literal };
  });
}
