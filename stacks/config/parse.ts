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
import { MlstackSchema, MlstackValues } from "./schema";
import { validateSection } from "./validate";
import { parseServing } from "./serving";
import { parseTeams } from "./teams";
import type { PlatformConfig } from "./types";

export { PLATFORM_OWNER };

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
  // An empty prefix is how the project file's default ("") says "ml-<environment>-".
  const given = raw.namespacePrefix === "" ? { ...raw, namespacePrefix: undefined } : raw;
  const values = validateSection<MlstackValues>(MlstackSchema, given, r) ?? {};

  const target = values.target ?? "kubernetes";
  const environment = values.environment ?? "dev";
  const env = ENVIRONMENT_DEFAULTS[environment];
  const namespacePrefix = values.namespacePrefix ?? `ml-${environment}-`;
  if (environment === "prod" && values.protect === false)
    r.fail("protect", raw.protect, "cannot be false in prod (stateful resources are always protected there)");
  const protect = environment === "prod" ? true : (values.protect ?? env.protect);
  const registries = values.registries ?? [];
  const effectiveRegistries = registries.length > 0 ? registries : DEFAULT_REGISTRIES;

  const teams = parseTeams(r, values.teams, environment, namespacePrefix);
  // A refused name is not a team other sections may name (it would show as "" in "declared: ...").
  const teamNames = teams.map((t) => t.name).filter((name) => name !== "");
  const serving = parseServing(r, values.serving, environment, teamNames);
  const models = serving.models;
  const kafka = parseKafka(r, values.kafka, environment, teamNames);
  const mlflow = parseMlflow(r, values.mlflow, environment, target);
  const orchestrator = parseOrchestrator(values.orchestrator, environment);
  const postgres = parsePostgres(r, values.postgres, environment, models, mlflow);
  const objectStore = parseObjectStore(r, values.objectStore, target, teamNames, mlflow, postgres);
  const operators = parseOperators(values.operators, target, namespacePrefix);
  const ingress = parseIngress(values.ingress);
  const network = parseNetwork(r, values.network, target);

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

  if (target === "aws") config.aws = parseAwsConfig(r, values.aws, config);
  else if (values.aws !== undefined)
    r.fail("aws", values.aws, `is only read when mlstack:target is aws (target is ${target}); remove it`);
  if (target === "gcp") config.gcp = parseGcpConfig(r, values.gcp, config);
  else if (values.gcp !== undefined)
    r.fail("gcp", values.gcp, `is only read when mlstack:target is gcp (target is ${target}); remove it`);

  checkOrchestrator(r, config);
  checkCrossReferences(r, config);
  r.throwIfAny();
  return config;
}
