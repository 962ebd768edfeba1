/**
 * Turns raw `mlstack:*` values into a validated `PlatformConfig`, or throws one `ConfigError`
 * listing every problem (key path, bad value, what is allowed). Pure: no Pulumi calls, so it
 * runs before any resource is registered and is tested directly.
 */
import { PLATFORM_OWNER } from "../../components/platformIdentity";
import { parseAwsConfig } from "./aws";
import { parseGcpConfig } from "./gcp";
import { parseIngress, parseOperators } from "./cluster";
import { parseNetwork } from "./network";
import { checkCrossReferences } from "./crossReferences";
import { DEFAULT_REGISTRIES, ENVIRONMENT_DEFAULTS } from "./defaults";
import { parseKafka } from "./kafka";
import { parseMlflow } from "./mlflow";
import { checkOrchestrator, parseOrchestrator } from "./orchestrator";
import { parseObjectStore } from "./objectStore";
import { parsePostgres } from "./postgres";
import { Raw, Reader } from "./reader";
import { parseServing } from "./serving";
import { parseTeams } from "./teams";
import { ENVIRONMENTS, Environment, PlatformConfig, TARGETS, Target } from "./types";

export { PLATFORM_OWNER };

const TOP_LEVEL_KEYS = [
  "target",
  "environment",
  "namespacePrefix",
  "protect",
  "teams",
  "kafka",
  "postgres",
  "objectStore",
  "mlflow",
  "orchestrator",
  "serving",
  "operators",
  "registries",
  "ingress",
  "network",
  "aws",
  "gcp",
] as const;

export interface StackIdentity {
  project: string;
  stack: string;
}

/**
 * @param raw the `mlstack:*` keys without their namespace (`{ target: "kubernetes", teams: [...] }`),
 *            structured values already parsed from JSON.
 */
export function parseConfig(raw: Raw, identity: StackIdentity): PlatformConfig {
  const r = new Reader();
  r.knownKeys(raw, "", TOP_LEVEL_KEYS);

  const target = r.oneOf<Target>(raw, "target", "", TARGETS, "kubernetes");
  const environment = r.oneOf<Environment>(raw, "environment", "", ENVIRONMENTS, "dev");
  const env = ENVIRONMENT_DEFAULTS[environment];
  const prefixRaw = raw.namespacePrefix === "" ? undefined : raw.namespacePrefix;
  const namespacePrefix = r.string(
    { namespacePrefix: prefixRaw },
    "namespacePrefix",
    "",
    `ml-${environment}-`,
    /^([a-z][-a-z0-9]{0,30})?$/,
    "a namespace prefix: lowercase letters, digits and '-', starting with a letter, at most 31 characters",
  );
  const protectRaw = r.boolean(raw, "protect", "", env.protect);
  if (environment === "prod" && raw.protect !== undefined && !protectRaw) {
    r.fail("protect", raw.protect, "cannot be false in prod (stateful resources are always protected there)");
  }
  const protect = environment === "prod" ? true : protectRaw;

  const registries = r.stringList(
    raw,
    "registries",
    "",
    DEFAULT_REGISTRIES,
    /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/,
    "a registry host with an optional path (e.g. quay.io/myorg)",
  );
  const effectiveRegistries = registries.length > 0 ? registries : DEFAULT_REGISTRIES;

  const teams = parseTeams(r, raw.teams, environment, namespacePrefix);
  const teamNames = teams.map((t) => t.name);
  const serving = parseServing(r, raw.serving, environment, teamNames);
  const models = serving.models;
  const kafka = parseKafka(r, raw.kafka, environment, teamNames);
  const mlflow = parseMlflow(r, raw.mlflow, environment, target);
  const orchestrator = parseOrchestrator(r, raw.orchestrator, environment);
  const postgres = parsePostgres(r, raw.postgres, environment, models, mlflow);
  const objectStore = parseObjectStore(r, raw.objectStore, target, teamNames, mlflow, postgres);
  const operators = parseOperators(r, raw.operators, target, namespacePrefix);
  const ingress = parseIngress(r, raw.ingress);
  const network = parseNetwork(r, raw.network, target);

  const config: PlatformConfig = {
    target,
    environment,
    project: identity.project,
    stack: identity.stack,
    namespacePrefix,
    platformNamespace: `${namespacePrefix}platform`,
    protect,
    highAvailability: env.highAvailability,
    teams,
    kafka,
    postgres,
    objectStore,
    mlflow,
    ...(orchestrator ? { orchestrator } : {}),
    serving,
    operators,
    registries: effectiveRegistries,
    ingress,
    network,
  };

  if (target === "aws") config.aws = parseAwsConfig(r, raw.aws, config);
  else if (raw.aws !== undefined)
    r.fail("aws", raw.aws, `is only read when mlstack:target is aws (target is ${target}); remove it`);
  if (target === "gcp") config.gcp = parseGcpConfig(r, raw.gcp, config);
  else if (raw.gcp !== undefined)
    r.fail("gcp", raw.gcp, `is only read when mlstack:target is gcp (target is ${target}); remove it`);

  checkOrchestrator(r, config);
  checkCrossReferences(r, config);
  r.throwIfAny();
  return config;
}
