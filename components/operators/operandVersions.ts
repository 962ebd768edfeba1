/**
 * Operator and operand are chosen together: a Kafka version the pinned Strimzi does not run never
 * becomes Ready (the operator refuses it and the 1800 s wait fails the update), and a Strimzi API
 * version it does not serve is refused by the API server. This check refuses such a config up
 * front, naming what the pinned operator supports (components/versions/pins.ts).
 *
 * The operator is the one `operators.<name>.version` names, whether mlstack installs it or the
 * cluster team did (`operators.install: false` states that the cluster runs that version).
 */
import { refusal } from "../argumentProblem";
import {
  CLOUDNATIVE_PG_RELEASES,
  STRIMZI_RELEASES,
  cloudnativePgRelease,
  strimziRelease,
} from "../versions/pins";

export interface OperandVersionsArgs {
  /** In-cluster Kafka on Strimzi: the operator's version and what the Kafka asks of it. */
  strimzi?: { version: string; kafkaVersion: string; apiVersion: string };
  /** In-cluster Postgres on CloudNativePG: the chart's version and the PostgreSQL major. */
  cloudnativePg?: { chartVersion: string; postgresMajor: number };
}

const list = (values: Array<string | number>) => values.join(", ");

/** Throws on the first operand the pinned operator cannot run. Arg paths are the config keys. */
export function validateOperandVersions(args: OperandVersionsArgs): void {
  const fail = refusal("operand versions");
  if (args.strimzi) {
    const { version, kafkaVersion, apiVersion } = args.strimzi;
    const release = strimziRelease(version);
    if (!release) {
      return fail(
        "operators.strimzi.version",
        version,
        `is not a Strimzi release whose Kafka versions mlstack knows; supported: ${list(STRIMZI_RELEASES.map((r) => r.version))}`,
      );
    }
    if (!release.kafkaVersions.includes(kafkaVersion)) {
      fail(
        "kafka.version",
        kafkaVersion,
        `is not run by Strimzi ${release.version}; supported Kafka versions: ${list(release.kafkaVersions)}`,
      );
    }
    if (!release.apiVersions.includes(apiVersion)) {
      fail(
        "kafka.apiVersion",
        apiVersion,
        `is not served by Strimzi ${release.version}; served: ${list(release.apiVersions)}`,
      );
    }
  }
  if (args.cloudnativePg) {
    const { chartVersion, postgresMajor } = args.cloudnativePg;
    const release = cloudnativePgRelease(chartVersion);
    if (!release) {
      return fail(
        "operators.cloudnativePg.version",
        chartVersion,
        `is not a CloudNativePG chart release whose operator mlstack knows; supported: ${list(CLOUDNATIVE_PG_RELEASES.map((r) => r.chartVersion))}`,
      );
    }
    if (!release.postgresMajors.includes(postgresMajor)) {
      fail(
        "postgres.version",
        postgresMajor,
        `is not run by CloudNativePG ${release.operatorVersion} (chart ${release.chartVersion}); supported PostgreSQL majors: ${list(release.postgresMajors)}`,
      );
    }
  }
}
