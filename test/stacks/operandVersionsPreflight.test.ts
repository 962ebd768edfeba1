/**
 * Operator and operand versions are checked together in the pre-flight step: a Kafka the pinned
 * Strimzi does not run, or a PostgreSQL major the pinned CloudNativePG does not, is refused by its
 * config key before anything registers (issue 11: staging/prod pinned Kafka 4.1.0 under a Strimzi
 * channel whose operator runs only 4.2.x/4.3.x).
 */
import { parseConfig } from "../../stacks/config";
import { preflightProblems } from "../../stacks/preflight";
import { Json, baseRawConfig } from "../support/config";

const IDENTITY = { project: "mlstack", stack: "test" };
const problemsOf = (raw: Json): string[] => preflightProblems(parseConfig(raw, IDENTITY));

it("refuses kafka.version 4.1.0 under Strimzi 1.2.0, naming the supported versions", () => {
  const raw = baseRawConfig();
  raw.kafka.version = "4.1.0";
  expect(problemsOf(raw)).toEqual([
    'mlstack:kafka.version: "4.1.0" is not run by Strimzi 1.2.0; supported Kafka versions: 4.2.0, 4.2.1, 4.3.0, 4.3.1',
  ]);
});

it("refuses the v1beta2 Strimzi API on OpenShift too, where the operator comes from OLM", () => {
  const raw = baseRawConfig();
  raw.target = "openshift";
  raw.kafka.apiVersion = "kafka.strimzi.io/v1beta2";
  expect(problemsOf(raw)).toEqual([
    expect.stringMatching(
      /^mlstack:kafka\.apiVersion: "kafka\.strimzi\.io\/v1beta2" is not served by Strimzi 1\.2\.0/,
    ),
  ]);
});

it("refuses an operators.strimzi.version whose Kafka matrix is unknown", () => {
  const raw = { ...baseRawConfig(), operators: { strimzi: { version: "0.49.0" } } };
  expect(problemsOf(raw)).toEqual([
    expect.stringMatching(
      /^mlstack:operators\.strimzi\.version: "0\.49\.0" is not a Strimzi release .*supported: 1\.2\.0, 1\.1\.0/,
    ),
  ]);
});
