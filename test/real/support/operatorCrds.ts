/**
 * The CustomResourceDefinitions of the operators mlstack renders objects for, fetched at test time
 * from what the projects publish to a package registry (the Go module proxy, Maven Central) at the
 * version the platform pins, and cached under `.cache/kube/crds/<operator>-<version>/crds.yaml`
 * (git-ignored). Nothing is vendored: a version bump in the platform fetches the new CRDs.
 *
 * Every operator mlstack installs is read from the version table (components/versions/pins.ts):
 * Strimzi, CloudNativePG (the operator behind the pinned chart), the Barman Cloud plugin, KServe,
 * KEDA. What mlstack installs nothing of (Prometheus Operator, OpenShift, the bucket provisioner are
 * the cluster's) is written below with the reason.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { PINS } from "../../../components/versions/pins";
import { requireCommand } from "./prerequisites";
import { CACHE_ROOT } from "./pythonEnv";

/** A Go module's folder (or file) that holds CRD YAML. */
interface GoModuleSource {
  kind: "go-module";
  module: string;
  version: string;
  paths: string[];
}

/** A folder inside a jar on Maven Central. */
interface MavenJarSource {
  kind: "maven-jar";
  group: string;
  artifact: string;
  version: string;
  classifier?: string;
  folder: string;
}

export interface CrdSource {
  operator: string;
  /** The operator's version the CRDs belong to. */
  version: string;
  from: GoModuleSource | MavenJarSource;
  /** Only the CRDs whose `metadata.name` passes (for files that bundle other operators' CRDs). */
  keep?: (crdName: string) => boolean;
  /** Why this version, and where the fact came from. */
  why: string;
}

const strimziVersion = PINS.strimziChart.version.replace(/^v/, "");
const kserveVersion = `v${PINS.kserveChart.version.replace(/^v/, "")}`;
const cnpgVersion = `v${PINS.cloudnativePgChart.appVersion}`;
const barmanCloudVersion = PINS.barmanCloudChart.appVersion;
const kedaVersion = `v${PINS.kedaChart.version.replace(/^v/, "")}`;

/**
 * Strimzi 1.x publishes no CRD YAML to Maven Central (the io.strimzi:api 1.2.0 jar and its test jar
 * carry none, checked), and its chart and release assets are not on a registry reachable here. The
 * CRDs installed for it are the `crds/v1/` set of io.strimzi:api 0.51.0's test jar: the v1-only
 * schema Strimzi generated just before 1.0 removed `v1beta2` (strimzi-kafka-operator#11937). A
 * field added after 0.51 is missing from it, so the API server refuses it: the test can only be
 * stricter than the pinned operator, never more lenient.
 */
const STRIMZI_CRD_JAR_VERSION = "0.51.0";

export const CRD_SOURCES: CrdSource[] = [
  {
    operator: "strimzi",
    version: strimziVersion,
    from: {
      kind: "maven-jar",
      group: "io.strimzi",
      artifact: "api",
      version: STRIMZI_CRD_JAR_VERSION,
      classifier: "tests",
      folder: "crds/v1/",
    },
    why: `Strimzi ${strimziVersion} (version table); v1-only CRDs of io.strimzi:api ${STRIMZI_CRD_JAR_VERSION}, the newest on Maven Central that carries CRD YAML`,
  },
  {
    operator: "cloudnative-pg",
    version: cnpgVersion,
    from: {
      kind: "go-module",
      module: "github.com/cloudnative-pg/cloudnative-pg",
      version: cnpgVersion,
      paths: ["config/crd/bases"],
    },
    why: `the operator of chart ${PINS.cloudnativePgChart.version} (version table)`,
  },
  {
    operator: "plugin-barman-cloud",
    version: barmanCloudVersion,
    from: {
      kind: "go-module",
      module: "github.com/cloudnative-pg/plugin-barman-cloud",
      version: barmanCloudVersion,
      paths: ["config/crd/bases"],
    },
    why: `the plugin of chart ${PINS.barmanCloudChart.version} (version table)`,
  },
  {
    operator: "kserve",
    version: kserveVersion,
    from: {
      kind: "go-module",
      module: "github.com/kserve/kserve",
      version: kserveVersion,
      paths: ["config/crd/full"],
    },
    why: "operators.kserve.version (version table)",
  },
  {
    operator: "keda",
    version: kedaVersion,
    from: {
      kind: "go-module",
      module: "github.com/kedacore/keda/v2",
      version: kedaVersion,
      paths: ["config/crd/bases"],
    },
    why: "operators.keda.version (version table)",
  },
  {
    operator: "prometheus-operator",
    version: "v0.88.0",
    from: {
      kind: "go-module",
      module: "github.com/prometheus-operator/prometheus-operator",
      version: "v0.88.0",
      paths: ["example/prometheus-operator-crd"],
    },
    why: "the cluster's (mlstack installs none): newest release on proxy.golang.org",
  },
  {
    operator: "cilium",
    version: "v1.20.2",
    // The dev stack's CNI (network.cni: cilium): its CiliumNetworkPolicies open the API server by entity.
    from: {
      kind: "go-module",
      module: "github.com/cilium/cilium",
      version: "v1.20.2",
      paths: ["pkg/k8s/apis/cilium.io/client/crds/v2/ciliumnetworkpolicies.yaml"],
    },
    why: "the cluster's CNI (mlstack installs none): newest release on proxy.golang.org",
  },
  {
    operator: "openshift-route",
    version: "v0.0.0-20260709102940-580f1c1ba691",
    from: {
      kind: "go-module",
      module: "github.com/openshift/api",
      version: "v0.0.0-20260709102940-580f1c1ba691",
      paths: ["route/v1/zz_generated.crd-manifests/routes.crd.yaml"],
    },
    why: "OpenShift's own API (openshift/api master as of 2026-07-09 on proxy.golang.org)",
  },
  {
    operator: "rook-object-bucket",
    version: "v1.18.8",
    // ObjectBucketClaim: lib-bucket-provisioner's own CRD is apiextensions.k8s.io/v1beta1, which
    // no supported API server serves; Rook ships the v1 CRD in deploy/examples/crds.yaml.
    from: {
      kind: "go-module",
      module: "github.com/rook/rook",
      version: "v1.18.8",
      paths: ["deploy/examples/crds.yaml"],
    },
    keep: (name) => name.endsWith(".objectbucket.io"),
    why: "the dev stack's bucket provisioner (Rook-Ceph): newest release on proxy.golang.org",
  },
];

function goCommand(): string {
  return requireCommand("go", "golang-go", ["/usr/local/go/bin"]);
}

function goModuleDir(module: string, version: string): string {
  const result = spawnSync(goCommand(), ["mod", "download", "-json", `${module}@${version}`], {
    encoding: "utf8",
    env: { ...process.env, GOFLAGS: "-mod=mod" },
  });
  const info = JSON.parse(result.stdout || "{}") as { Dir?: string; Error?: string };
  if (result.status !== 0 || !info.Dir)
    throw new Error(`go mod download ${module}@${version} failed: ${info.Error ?? result.stderr}`);
  return info.Dir;
}

function yamlFilesUnder(target: string): string[] {
  if (fs.statSync(target).isFile()) return [target];
  return fs
    .readdirSync(target)
    .filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml")
    .sort()
    .map((f) => path.join(target, f));
}

async function mavenJarFiles(source: MavenJarSource, workDir: string): Promise<string[]> {
  const file = `${source.artifact}-${source.version}${source.classifier ? `-${source.classifier}` : ""}.jar`;
  const url = `https://repo1.maven.org/maven2/${source.group.replace(/\./g, "/")}/${source.artifact}/${source.version}/${file}`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const jar = path.join(workDir, file);
  fs.writeFileSync(jar, Buffer.from(await response.arrayBuffer()));
  const unzip = requireCommand("unzip", "unzip");
  execFileSync(unzip, ["-q", "-o", jar, `${source.folder}*`, "-d", path.join(workDir, "jar")]);
  return yamlFilesUnder(path.join(workDir, "jar", source.folder));
}

/** Every CRD document of the source, as YAML text (other kinds in the files are dropped). */
function crdDocuments(files: string[], keep?: (name: string) => boolean): string[] {
  const documents: string[] = [];
  for (const file of files) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
      const value = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null;
      if (value?.kind !== "CustomResourceDefinition") continue;
      if (keep && !keep(String(value.metadata?.name))) continue;
      documents.push(doc.toString());
    }
  }
  return documents;
}

/** The file with every CRD of the source (fetched once, then read from the cache). */
export async function operatorCrdFile(source: CrdSource): Promise<string> {
  const dir = path.join(CACHE_ROOT, "kube", "crds", `${source.operator}-${source.version}`);
  const file = path.join(dir, "crds.yaml");
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true });
  const work = fs.mkdtempSync(path.join(dir, "fetch-"));
  try {
    const from = source.from;
    const files =
      from.kind === "go-module"
        ? from.paths.flatMap((p) => yamlFilesUnder(path.join(goModuleDir(from.module, from.version), p)))
        : await mavenJarFiles(from, work);
    const documents = crdDocuments(files, source.keep);
    if (documents.length === 0)
      throw new Error(`${source.operator} ${source.version}: no CRD found in ${files.join(", ")}`);
    const origin =
      from.kind === "go-module"
        ? `${from.module}@${from.version} ${from.paths.join(" ")}`
        : `${from.group}:${from.artifact}:${from.version}${from.classifier ? `:${from.classifier}` : ""} ${from.folder}`;
    const header = `# ${source.operator} ${source.version} CRDs from ${origin} (${source.why})\n`;
    fs.writeFileSync(`${file}.tmp`, header + documents.map((d) => `---\n${d}`).join(""));
    fs.renameSync(`${file}.tmp`, file);
    return file;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
