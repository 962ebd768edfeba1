/**
 * The version table: every operator, Helm chart, OLM package/channel/CSV, operand and default
 * image the platform installs or renders, pinned in one place. Each entry carries the upstream
 * file and ref it was read from (`source`), so `npm run docs:versions` prints it into
 * docs/versions.md and a reviewer can check a pin against the file that states it.
 *
 * Operators and their operands are pinned together: a Strimzi release lists the Kafka versions it
 * runs, a CloudNativePG chart the operator and PostgreSQL majors behind it, a KServe release the
 * name of its raw deployment mode. `components/operators/operandVersions.ts` refuses a config
 * outside these pairs before anything registers.
 *
 * Move a pin: change it here (with its source), run `npm run docs:versions`, run the real
 * API-server test once (it fetches the CRDs of what is pinned here, test/real/support/operatorCrds.ts).
 */

/** Where a pinned fact was read: repository (or registry), file, and the tag/commit/version of that file. */
export interface PinSource {
  repository: string;
  file: string;
  ref: string;
  /** How it was read when not directly from the project's own file at that tag. */
  note?: string;
}

/** One row of the table. */
export interface Pin {
  /** What is pinned (human-readable, printed in the docs). */
  what: string;
  version: string;
  /** The application a chart installs, where it differs from the chart's version. */
  appVersion?: string;
  /** OLM: the ClusterServiceVersion a Subscription on this channel starts at. */
  csv?: string;
  source: PinSource;
}

/** A Strimzi release and the Kafka versions it runs (its `kafka-versions.yaml`, `supported: true`). */
export interface StrimziRelease {
  version: string;
  kafkaVersions: string[];
  /** The Strimzi CRD API versions it serves (1.0 removed `v1beta2`). */
  apiVersions: string[];
  /** OLM ClusterServiceVersion of this release in `community-operators`. */
  csv: string;
  source: PinSource;
}

/** A CloudNativePG chart release, the operator it installs and the PostgreSQL majors that operator runs. */
export interface CloudNativePgRelease {
  chartVersion: string;
  operatorVersion: string;
  postgresMajors: number[];
  /** OLM ClusterServiceVersion of the operator in `certified-operators`. */
  csv: string;
  source: PinSource;
}

const STRIMZI_CSV_1_2_0: PinSource = {
  repository: "redhat-openshift-ecosystem/community-operators-prod",
  file: "operators/strimzi-kafka-operator/1.2.0/manifests/strimzi-cluster-operator.v1.2.0.clusterserviceversion.yaml",
  ref: "ee5c5b48cf0f0b99525788522575b6d4dfe20caa",
  note: "STRIMZI_KAFKA_IMAGES lists 4.2.0, 4.2.1, 4.3.0, 4.3.1; replaces strimzi-cluster-operator.v1.1.0; io.strimzi:api 1.2.0 is the newest release on Maven Central",
};

/**
 * Strimzi releases the platform knows the Kafka matrix of. 0.4x/0.5x are out of support (Strimzi
 * supports the latest minor only) and 1.0 removed the `v1beta2` API, so only 1.x is listed.
 */
export const STRIMZI_RELEASES: StrimziRelease[] = [
  {
    version: "1.2.0",
    kafkaVersions: ["4.2.0", "4.2.1", "4.3.0", "4.3.1"],
    apiVersions: ["kafka.strimzi.io/v1"],
    csv: "strimzi-cluster-operator.v1.2.0",
    source: STRIMZI_CSV_1_2_0,
  },
  {
    version: "1.1.0",
    kafkaVersions: ["4.2.0", "4.2.1", "4.3.0"],
    apiVersions: ["kafka.strimzi.io/v1"],
    csv: "strimzi-cluster-operator.v1.1.0",
    source: {
      repository: "strimzi/strimzi-kafka-operator",
      file: "kafka-versions.yaml",
      ref: "1.1.0",
      note: "supported: true for 4.2.0, 4.2.1, 4.3.0 (default 4.3.0); v1beta2 removed from the CRDs in 1.0.0 (strimzi-kafka-operator#11937)",
    },
  },
];

/**
 * The CloudNativePG operand images: the community `standard` image on Debian trixie per PostgreSQL
 * major, by immutable tag and digest, as published in CloudNativePG's signed
 * `postgresql-standard-trixie` ClusterImageCatalog (catalog date 2026-08-31).
 */
export const POSTGRES_IMAGES = {
  repository: "ghcr.io/cloudnative-pg/postgresql",
  tags: {
    14: "14.24-202608310817-standard-trixie@sha256:19fdf3596c337c9ae3725dbcec345e85f64e3097b1e0e375575bc6d53c3e4497",
    15: "15.19-202608310817-standard-trixie@sha256:10c19625c4f43cd4f1cb04caf072a942853e10e510d96e9be656b3a7f0ad968a",
    16: "16.15-202608310817-standard-trixie@sha256:6fedafdbf8b5b241e94c0307783a4875525141b98c4cbb8ec8a0b4134e9545d6",
    17: "17.11-202608310816-standard-trixie@sha256:0eea5ac8c5e3043db94f4d512ffcfb9c06d6270a97f6d56e9f08e1571ef0484e",
    18: "18.6-202608310817-standard-trixie@sha256:c2a773217853c6e0ffe7da9c37ea456466efb20cf844f27511a73fa6a81e3152",
  } as Record<number, string>,
  /** The major a new cluster gets (`postgres.version`). */
  defaultMajor: 17,
  source: {
    repository: "cloudnative-pg/artifacts",
    file: "image-catalogs/catalog-standard-trixie.yaml",
    ref: "2026-08-31",
  } as PinSource,
};

/**
 * CloudNativePG chart releases. The charts repository's stored index ends at 0.26.1; 0.29.1 and
 * its appVersion were read from `charts/cloudnative-pg/Chart.yaml` at tag `cloudnative-pg-v0.29.1`
 * as quoted in a 2026-09-30 fact-check, and the operator's Go module v1.30.1 is served by
 * proxy.golang.org (its CRDs are what the API-server test installs).
 */
export const CLOUDNATIVE_PG_RELEASES: CloudNativePgRelease[] = [
  {
    chartVersion: "0.29.1",
    operatorVersion: "1.30.1",
    // CloudNativePG publishes operand images for exactly the majors it supports.
    postgresMajors: Object.keys(POSTGRES_IMAGES.tags).map(Number),
    csv: "cloudnative-pg.v1.30.1",
    source: {
      repository: "cloudnative-pg/charts",
      file: "charts/cloudnative-pg/Chart.yaml",
      ref: "cloudnative-pg-v0.29.1",
      note: "appVersion 1.30.1 (released 2026-09-23); PostgreSQL majors: the postgresql-standard-trixie ClusterImageCatalog (components/postgres/cnpgImages.ts); OLM: certified-operators operators/cloudnative-pg/1.30.1/release-config.yaml (channel stable-v1, replaces cloudnative-pg.v1.30.0)",
    },
  },
];

/** Everything else pinned, by name. `operators.<name>` config keys default to these. */
export const PINS = {
  strimziChart: {
    what: "Strimzi operator, Helm chart oci://quay.io/strimzi-helm/strimzi-kafka-operator (chart version = operator version)",
    version: STRIMZI_RELEASES[0].version,
    source: STRIMZI_CSV_1_2_0,
  },
  strimziOlm: {
    what: "Strimzi OLM package strimzi-kafka-operator (community-operators), channel stable, startingCSV strimzi-cluster-operator.v1.2.0",
    version: "stable",
    source: STRIMZI_CSV_1_2_0,
  },
  kafka: {
    what: "Apache Kafka operand (Strimzi Kafka; the real-process tests run org.apache.kafka:kafka_2.13 at this version)",
    version: "4.3.1",
    source: {
      ...STRIMZI_CSV_1_2_0,
      note: "the CSV's alm-examples Kafka version (newest of its STRIMZI_KAFKA_IMAGES); Maven Central serves kafka_2.13 4.3.1",
    },
  },
  cloudnativePgChart: {
    what: "CloudNativePG operator, Helm chart cloudnative-pg from https://cloudnative-pg.github.io/charts",
    version: CLOUDNATIVE_PG_RELEASES[0].chartVersion,
    appVersion: CLOUDNATIVE_PG_RELEASES[0].operatorVersion,
    source: CLOUDNATIVE_PG_RELEASES[0].source,
  },
  cloudnativePgOlm: {
    what: "CloudNativePG OLM package cloudnative-pg (certified-operators), channel stable-v1, startingCSV cloudnative-pg.v1.30.1",
    version: "stable-v1",
    source: {
      repository: "redhat-openshift-ecosystem/certified-operators",
      file: "operators/cloudnative-pg/1.30.1/release-config.yaml",
      ref: "6a67fd03469c9a264dc294f165db9e3ea37f9d6c",
    },
  },
  barmanCloudChart: {
    what: "CloudNativePG Barman Cloud plugin, Helm chart plugin-barman-cloud",
    version: "0.8.0",
    appVersion: "v0.15.0",
    source: {
      repository: "cloudnative-pg/charts",
      file: "charts/plugin-barman-cloud/Chart.yaml",
      ref: "plugin-barman-cloud-v0.8.0",
      note: "appVersion v0.15.0, as quoted in a 2026-09-30 fact-check; github.com/cloudnative-pg/plugin-barman-cloud v0.15.0 is the newest version on proxy.golang.org",
    },
  },
  kserveChart: {
    what: "KServe, Helm charts oci://ghcr.io/kserve/charts/kserve-crd and kserve (raw deployment mode: Standard)",
    version: "v0.16.0",
    source: {
      repository: "kserve/kserve",
      file: "charts/kserve/Chart.yaml",
      ref: "v0.16.0",
      note: "newer releases exist (v0.19.0-rc0 on main), but proxy.golang.org serves github.com/kserve/kserve only at v0.16.0 here, and the API-server test installs the CRDs from that module: move with it",
    },
  },
  rhoaiOlm: {
    what: "Red Hat OpenShift AI OLM package rhods-operator (redhat-operators): the 2.25 channel, whose DataScienceCluster/DSCInitialization v1 API the platform writes (the bare stable channel tracks the newest minor, 3.x)",
    version: "stable-2.25",
    csv: "rhods-operator.2.25.9",
    source: {
      repository: "OpenShift AI packagemanifest rhods-operator",
      file: ".status.channels[name=stable-2.25].currentCSV",
      ref: "rhods-operator.2.25.9",
      note: "as read from a cluster on 2026-08-08 in a published install guide (channels: stable-2.25, eus-2.25, stable-3.3, stable-3.4, stable, ...); DSC v1 component names from opendatahub-io/opendatahub-operator api/datasciencecluster/v1/datasciencecluster_types.go",
    },
  },
  kedaChart: {
    what: "KEDA, Helm chart keda from https://kedacore.github.io/charts (chart version = KEDA version)",
    version: "2.21.0",
    source: {
      repository: "proxy.golang.org",
      file: "github.com/kedacore/keda/v2/@latest",
      ref: "v2.21.0",
      note: "newest KEDA release (2026-09-23); kedacore/charts keda/Chart.yaml versions the chart as the app",
    },
  },
  certManagerChart: {
    what: "cert-manager, Helm chart cert-manager from https://charts.jetstack.io",
    version: "v1.21.2",
    source: {
      repository: "proxy.golang.org",
      file: "github.com/cert-manager/cert-manager/@latest",
      ref: "v1.21.2",
      note: "newest cert-manager release (2026-09-10); the jetstack chart is versioned as the release",
    },
  },
  mlflowImage: {
    what: "MLflow tracking server image (built from images/mlflow)",
    version: "ghcr.io/mlstack/mlflow:3.17.2-3",
    source: { repository: "mlstack", file: "images/mlflow/Dockerfile", ref: "3.17.2-3" },
  },
  oauthProxyImage: {
    what: "OpenShift OAuth proxy image in front of MLflow (openshift target)",
    version: "registry.redhat.io/openshift4/ose-oauth-proxy-rhel9:v4.18",
    source: { repository: "registry.redhat.io", file: "openshift4/ose-oauth-proxy-rhel9", ref: "v4.18" },
  },
  mlserverImage: {
    what: "MLServer serving runtime image",
    version: "docker.io/seldonio/mlserver:1.7.1",
    source: { repository: "docker.io", file: "seldonio/mlserver", ref: "1.7.1" },
  },
  tritonImage: {
    what: "NVIDIA Triton serving runtime image",
    version: "nvcr.io/nvidia/tritonserver:25.10-py3",
    source: { repository: "nvcr.io", file: "nvidia/tritonserver", ref: "25.10-py3" },
  },
  vllmImage: {
    what: "vLLM OpenAI-compatible serving image",
    version: "docker.io/vllm/vllm-openai:v0.33.0",
    source: {
      repository: "pypi.org",
      file: "vllm",
      ref: "0.33.0",
      note: "newest vllm release on PyPI (https://pypi.org/project/vllm/0.33.0/); the image is tagged per release (https://hub.docker.com/r/vllm/vllm-openai/tags)",
    },
  },
  prefect: {
    what: "Prefect (orchestrator image docker.io/prefecthq/prefect:<version>-python3.12 and the real-process test's PyPI install)",
    version: "3.9.1",
    source: { repository: "pypi.org", file: "prefect", ref: "3.9.1" },
  },
} satisfies Record<string, Pin>;

/** The Strimzi release of a version (`operators.strimzi.version`), if the table knows its Kafka matrix. */
export function strimziRelease(version: string): StrimziRelease | undefined {
  const bare = version.replace(/^v/, "");
  return STRIMZI_RELEASES.find((r) => r.version === bare);
}

/** The CloudNativePG chart release of a chart version. */
export function cloudnativePgRelease(chartVersion: string): CloudNativePgRelease | undefined {
  const bare = chartVersion.replace(/^v/, "");
  return CLOUDNATIVE_PG_RELEASES.find((r) => r.chartVersion === bare);
}
