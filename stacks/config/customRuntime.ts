/**
 * `serving.models[].args` and `.env` (runtime custom): what a hand-rolled server may be given.
 * Secrets arrive only by reference (`secretRef: { name, key }`, a Secret in the team namespace):
 * a literal would land in the Deployment, the stack state and `plan.json`. Literals are checked
 * with the policy pack's own detectors (policies/secretValues.ts), so config and pack agree.
 */
import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import type { ModelEnvVar } from "../../components/serving/settings";
import { isLiteralSecretValue, isSecretName, secretFlag, secretMaterial } from "../../policies/secretValues";
import type { Reader } from "./reader";
import { List, Opt, Str, Strict } from "./schemaKinds";

/** A C identifier: what shells and most runtimes accept as an environment variable name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A Secret's data key (`IsConfigMapKey`). */
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
/** Names mlstack sets itself (runtimeEnv) or the grants hand over: a model must not shadow them. */
const RESERVED_ENV = new Set(["PORT", "MODEL_URI", "STORAGE_URI", "HOME", "BUCKET_NAME"]);
const RESERVED_ENV_PREFIXES = ["AWS_", "GOOGLE_", "KAFKA_", "MLFLOW_"];

export const CustomArgsSchema = List(
  Type.Unsafe<string | number>({ type: ["string", "number"], description: "one command-line argument" }),
  { description: "runtime custom only: the server's arguments (no secrets: use env with secretRef)" },
);

export const CustomEnvSchema = List(
  Strict({
    name: Str(ENV_NAME, "an environment variable name (letters, digits, _; not starting with a digit)"),
    value: Opt(Type.Unsafe<string | number | boolean>({ type: ["string", "number", "boolean"] })),
    secretRef: Opt(
      Strict({
        name: Str("dns1123-subdomain", undefined, { description: "a Secret in the team's namespace" }),
        key: Str(SECRET_KEY, "a Secret key (letters, digits, '-', '_', '.')"),
      }),
    ),
  }),
  { description: "runtime custom only: environment variables, each a value or a secretRef" },
);

export function parseCustomArgs(
  r: Reader,
  value: Static<typeof CustomArgsSchema> | undefined,
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
  const args = value.map((arg, i) => {
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
  value: Static<typeof CustomEnvSchema> | undefined,
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
  return value.map((e, i): ModelEnvVar => {
    const epath = `${path}[${i}]`;
    const name = e.name ?? "";
    if (RESERVED_ENV.has(name) || RESERVED_ENV_PREFIXES.some((p) => name.startsWith(p)))
      r.fail(
        `${epath}.name`,
        name,
        `is set by mlstack (reserved: ${[...RESERVED_ENV].join(", ")} and ${RESERVED_ENV_PREFIXES.map((p) => `${p}*`).join(", ")})`,
      );
    else if (name && seen.has(name)) r.fail(`${epath}.name`, name, "is set twice");
    seen.add(name);
    if ((e.value === undefined) === (e.secretRef === undefined)) {
      r.fail(epath, "{…}", "needs exactly one of value or secretRef: { name, key }");
      return { name, value: "" };
    }
    if (e.secretRef !== undefined)
      return { name, secretRef: { name: e.secretRef.name ?? "", key: e.secretRef.key ?? "" } };
    const literal = String(e.value);
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
