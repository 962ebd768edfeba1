/**
 * The pre-flight step: every check runs before the first resource is registered. The config layer
 * has already read every key (types, ranges, cross-references); here the stack builds each
 * component's arguments exactly as the composition will (`componentArgs.ts`) and runs the
 * component's own checks on them, then checks every name derived from a configured name against
 * the Kubernetes grammar it lands in. Every problem is named by its config key, its value and what
 * is allowed, all in one `ConfigError`.
 */
import type { ArgumentProblem } from "../components/argumentProblem";
import { problemsOf } from "../components/argumentProblem";
import { derivedNameProblem } from "../components/kube/derivedNames";
import { validateStrimziKafkaArgs } from "../components/kafka/StrimziKafka";
import { validateTeamNamespaceArgs } from "../components/namespace/TeamNamespace";
import { validateOperandVersions } from "../components/operators/operandVersions";
import { validatePlatformOperatorsArgs } from "../components/operators/PlatformOperators";
import { validateCnpgPostgresSettings } from "../components/postgres/CnpgPostgres";
import { ORCHESTRATOR_WORKLOAD } from "../components/orchestrator/settings";
import { validateOrchestratorSettings } from "../components/orchestrator/validation";
import { modelDerivedNames } from "../components/serving/derivedNames";
import { registrySourceProblem } from "../components/serving/modelFetch";
import type { ClusterFacts } from "./backing";
import {
  IN_CLUSTER_COMPONENT_NAMES as NAMES,
  cnpgPostgresArgs,
  installsOperators,
  isInCluster,
  objectStoreArgs,
  platformContext,
  platformNamespaceArgs,
  platformNamespaces,
  platformOperatorsArgs,
  strimziKafkaArgs,
  teamNamespaceArgs,
} from "./componentArgs";
import { ConfigError, PlatformConfig, parseConfig } from "./config";
import type { StackIdentity } from "./config/parse";
import type { Raw } from "./config/reader";
import { show } from "./config/reader";
import { planInClusterObjectStore } from "./kubernetes/objectStore";

/**
 * From a component argument path to the config key it came from: the first `[argPrefix, key]`
 * whose prefix matches (exactly, or followed by `.` or `[`) is substituted.
 */
type KeyMap = Array<[string, string]>;

function configKey(arg: string, keys: KeyMap, fallback: string): string {
  for (const [prefix, key] of keys) {
    if (arg === prefix) return key;
    if (arg.startsWith(`${prefix}.`) || arg.startsWith(`${prefix}[`)) return key + arg.slice(prefix.length);
  }
  return `${fallback} (${arg})`;
}

function describe(problems: ArgumentProblem[], keys: KeyMap, fallback: string): string[] {
  return problems.map((p) => `mlstack:${configKey(p.arg, keys, fallback)}: ${show(p.value)} ${p.allowed}`);
}

/** Every problem the components would refuse, named by config key; empty when all pass. */
export function preflightProblems(config: PlatformConfig): string[] {
  const ctx = platformContext(config);
  const { teamNamespaces, workloadNamespaces } = platformNamespaces(config);
  const modelIndex = new Map(config.serving.models.map((m, i) => [m.name, i]));
  const problems: string[] = [];

  problems.push(
    ...describe(
      problemsOf(() => validateTeamNamespaceArgs("ns-platform", platformNamespaceArgs(config, ctx))),
      [["namespace", "namespacePrefix"]],
      "namespacePrefix",
    ),
  );
  config.teams.forEach((team, i) => {
    const args = teamNamespaceArgs(config, ctx, team);
    const keys: KeyMap = [
      ["namespace", `teams[${i}].name`],
      ["team", `teams[${i}].name`],
      ["groups", `teams[${i}].groups`],
      ["members", `teams[${i}].members`],
      ["quota", `teams[${i}].quota`],
      ...args.serviceAccounts.map((sa, k): [string, string] => [
        `serviceAccounts[${k}].name`,
        `serving.models[${modelIndex.get(sa.name)}].name`,
      ]),
    ];
    problems.push(
      ...describe(
        problemsOf(() => validateTeamNamespaceArgs(`ns-${team.name}`, args)),
        keys,
        `teams[${i}]`,
      ),
    );
  });

  if (installsOperators(config)) {
    problems.push(
      ...describe(
        problemsOf(() => validatePlatformOperatorsArgs("operators", platformOperatorsArgs(config, ctx, []))),
        [
          ["operators", "operators"],
          ["keda.namespace", "network.kedaNamespace"],
          ["keda", "operators.keda.install"],
          ["certManager", "operators.certManager.install"],
          ["namespace", "operators.namespace"],
          ["apiServerCidrs", "network.apiServerCidrs"],
          ["watchNamespaces", "namespacePrefix"],
        ],
        "operators",
      ),
    );
  }

  if (isInCluster(config)) {
    const cluster: ClusterFacts = {
      platformNamespace: config.platformNamespace,
      teamNamespaces,
      workloadNamespaces,
      dependsOn: [],
    };
    // Kafka and Postgres run on the operators' versions (installed here or by the cluster team).
    problems.push(
      ...describe(
        problemsOf(() =>
          validateOperandVersions({
            strimzi: {
              version: config.operators.strimzi.version,
              kafkaVersion: config.kafka.version,
              apiVersion: config.kafka.apiVersion,
            },
            cloudnativePg: {
              chartVersion: config.operators.cloudnativePg.version,
              postgresMajor: config.postgres.version,
            },
          }),
        ),
        [
          ["operators", "operators"],
          ["kafka", "kafka"],
          ["postgres", "postgres"],
        ],
        "operators",
      ),
    );
    const storeArgs = objectStoreArgs(config, ctx, cluster);
    problems.push(
      ...describe(
        problemsOf(() => planInClusterObjectStore(NAMES.objectStore, storeArgs)),
        [
          ["config", "objectStore"],
          ["ctx.environment", "environment"],
          ["network", "network"],
        ],
        "objectStore",
      ),
    );
    problems.push(
      ...describe(
        problemsOf(() => validateStrimziKafkaArgs(NAMES.kafka, strimziKafkaArgs(config, ctx, cluster))),
        [
          ["config", "kafka"],
          ["namespace", "namespacePrefix"],
          ["clientNamespaces", "teams"],
          ["apiServerCidrs", "network.apiServerCidrs"],
          ["kedaOperator.namespace", "network.kedaNamespace"],
          ["monitoringNamespace", "network.monitoringNamespace"],
        ],
        "kafka",
      ),
    );
    problems.push(
      ...describe(
        problemsOf(() =>
          validateCnpgPostgresSettings(
            `CnpgPostgres ${NAMES.postgres}`,
            cnpgPostgresArgs(config, ctx, cluster, undefined),
          ),
        ),
        [
          ["config", "postgres"],
          ["operatorNamespace", "operators.namespace"],
          ["namespace", "namespacePrefix"],
        ],
        "postgres",
      ),
    );
  }

  if (config.orchestrator) {
    const orchestrator = config.orchestrator;
    problems.push(
      ...describe(
        problemsOf(() =>
          validateOrchestratorSettings(ORCHESTRATOR_WORKLOAD, {
            ctx,
            config: orchestrator,
            apiServerCidrs: config.network.apiServerCidrs,
          }),
        ),
        [
          ["config", "orchestrator"],
          ["apiServerCidrs", "network.apiServerCidrs"],
        ],
        "orchestrator",
      ),
    );
  }

  config.serving.models.forEach((model, i) => {
    const problem = derivedNameProblem(modelDerivedNames(model));
    if (problem) problems.push(`mlstack:serving.models[${i}].name: ${show(model.name)} ${problem}`);
    const registryProblem =
      model.source?.registry !== undefined && registrySourceProblem(config.mlflow?.auth);
    if (registryProblem)
      problems.push(
        `mlstack:serving.models[${i}].source.registry: ${show(model.source?.registry)} ${registryProblem}`,
      );
  });
  return problems;
}

/** Throws one `ConfigError` listing every pre-flight problem; returns when there is none. */
export function preflight(config: PlatformConfig): void {
  const problems = preflightProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
}

/**
 * The whole validation of a stack's `mlstack:*` config: the config layer's parse, then the
 * pre-flight checks. Pure (no Pulumi calls): nothing can be registered before it returns.
 */
export function validateStackConfig(raw: Raw, identity: StackIdentity): PlatformConfig {
  const config = parseConfig(raw, identity);
  preflight(config);
  return config;
}
