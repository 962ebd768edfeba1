/**
 * The pre-flight step: after the config layer has read every key, the stack runs every component's
 * own checks on the arguments it will construct them with, before anything registers, and reports
 * all problems at once by config key.
 */
import * as path from "path";
import { loadStackConfig, listStacks } from "../../cli/plan/stackConfig";
import { ConfigError, parseConfig, platformKeys } from "../../stacks/config";
import { preflightProblems, validateStackConfig } from "../../stacks/preflight";
import { Json, baseConfig, baseRawConfig } from "../support/config";
import { runMain } from "./registrations";

const ROOT = path.resolve(__dirname, "../..");
const IDENTITY = { project: "mlstack", stack: "test" };

function problemsOf(raw: Json): string[] {
  return preflightProblems(parseConfig(raw, IDENTITY));
}

it.each(listStacks(ROOT))("passes every shipped stack (%s)", (stack) => {
  const { project, config } = loadStackConfig(ROOT, stack);
  expect(preflightProblems(parseConfig(platformKeys(config), { project, stack }))).toEqual([]);
});

it("reports the problems of several components at once, each by its config key", () => {
  const raw = baseRawConfig();
  raw.environment = "staging";
  raw.mlflow = { replicas: 2 };
  raw.kafka.controllers = 1;
  raw.postgres = { instances: 1 };
  raw.teams[1].groups = ["system:authenticated"];
  raw.operators = { namespace: "kube-system" };
  expect(problemsOf(raw)).toEqual([
    expect.stringMatching(
      /^mlstack:teams\[1\]\.groups\[0\]: "system:authenticated" is a Kubernetes system identity/,
    ),
    expect.stringMatching(
      /^mlstack:operators\.namespace: "kube-system" is reserved by Kubernetes or OpenShift/,
    ),
    expect.stringMatching(/^mlstack:kafka\.controllers: 1 is below 3/),
    expect.stringMatching(/^mlstack:postgres\.instances: 1 is below 2 but staging runs highly available/),
  ]);
});

it("runs the in-cluster backing services' checks only where they are built", () => {
  // On openshift the operators come from OLM: operators.namespace is not where anything is installed.
  const raw = { ...baseRawConfig(), target: "openshift", operators: { namespace: "kube-system" } };
  expect(problemsOf(raw)).toEqual([]);
});

it("throws one ConfigError from validateStackConfig, and returns the config when all pass", () => {
  expect(validateStackConfig(baseRawConfig(), IDENTITY)).toEqual(baseConfig());
  expect(() =>
    validateStackConfig({ ...baseRawConfig(), operators: { namespace: "default" } }, IDENTITY),
  ).toThrow(ConfigError);
});

it("runs inside the program before the first registration", async () => {
  const run = await runMain({ ...baseRawConfig(), operators: { namespace: "default" } });
  expect(run.error).toBeInstanceOf(ConfigError);
  expect((run.error as Error).message).toBe(
    'invalid mlstack config: mlstack:operators.namespace: "default" is reserved by Kubernetes or OpenShift; choose a namespace of the platform\'s own',
  );
  expect(run.registered).toEqual([]);
});
