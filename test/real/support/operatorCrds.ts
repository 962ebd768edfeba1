/**
 * The CustomResourceDefinitions of the operators mlstack renders objects for, fetched at test time
 * from what the projects publish to a package registry (the Go module proxy, Maven Central) at the
 * version the platform pins, and cached under `.cache/kube/crds/<operator>-<version>/crds.yaml`
 * (git-ignored). Nothing is vendored: a version bump in the platform fetches the new CRDs.
 *
 * Where mlstack pins the operator itself (Strimzi, KServe), the version is read from the platform's
 * defaults. Where it pins a Helm chart whose operator version cannot be read here (CloudNativePG,
 * the Barman Cloud plugin) or installs nothing (KEDA, Prometheus Operator, OpenShift, the bucket
 * provisioner are the cluster's), the version is written below with the reason.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { DEFAULT_OPERATORS } from "../../../stacks/config/defaults";
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

const strimziVersion = DEFAULT_OPERATORS.strimzi.version.replace(/^v/, "");
const kserveVersion = `v${DEFAULT_OPERATORS.kserve.version.replace(/^v/, "")}`;

export const CRD_SOURCES: CrdSource[] = [
  {
    operator: "strimzi",
    version: strimziVersion,
    // Strimzi is Java: its api module's test jar carries the generated CRDs, the same generator
    // output as the release's packaging/install/cluster-operator/04x-Crd-*.yaml. `crds/v1beta2/`
    // is the set that serves both v1 and v1beta2 (storage v1beta2), which is what 0.49 installs.
    from: {
      kind: "maven-jar",
      group: "io.strimzi",
      artifact: "api",
      version: strimziVersion,
      classifier: "tests",
      folder: "crds/v1beta2/",
    },
    why: "operators.strimzi.version (stacks/config/defaults.ts DEFAULT_OPERATORS)",
  },
  {
    operator: "cloudnative-pg",
    version: "v1.30.1",
    from: {
      kind: "go-module",
      module: "github.com/cloudnative-pg/cloudnative-pg",
      version: "v1.30.1",
      paths: ["config/crd/bases"],
    },
    // The platform pins the chart (`operators.cloudnativePg.version`), whose appVersion cannot be
    // read without the chart repository; 1.30 is the operator line the platform targets (issue 11
    // on WATCH_NAMESPACE) and v1.30.1 its newest patch on the Go module proxy.
    why: "newest 1.30 patch on proxy.golang.org (chart appVersion not readable offline)",
  },
  {
    operator: "plugin-barman-cloud",
    version: "v0.15.0",
    from: {
      kind: "go-module",
      module: "github.com/cloudnative-pg/plugin-barman-cloud",
      version: "v0.15.0",
      paths: ["config/crd/bases"],
    },
    why: "newest release on proxy.golang.org (chart 0.8.1's appVersion not readable offline)",
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
    why: "operators.kserve.version (stacks/config/defaults.ts DEFAULT_OPERATORS)",
  },
  {
    operator: "keda",
    version: "v2.21.0",
    from: {
      kind: "go-module",
      module: "github.com/kedacore/keda/v2",
      version: "v2.21.0",
      paths: ["config/crd/bases"],
    },
    why: "the cluster's (mlstack installs no KEDA): newest release on proxy.golang.org",
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
