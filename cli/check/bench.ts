/**
 * Benchmark for `mlstack check`: generates a 10,000-resource `pulumi preview --json` document of
 * mixed types (team namespaces with their policies, workloads of every kind, services,
 * ConfigMaps, S3 buckets with their configuration resources, RDS, IAM, GCS, Cloud SQL), then
 * times the check against the floor of reading and `JSON.parse`-ing the same file, in the same
 * run. Prints (and returns) `check_10k_s=<s> check_parse_ratio=<check / parse>`.
 *
 * Goal: under 2 s and a ratio of at most 10 — rules are indexed by type, and the document is
 * walked once.
 *
 * Then the same Kubernetes objects, repeated in more namespaces up to 50 MB, as multi-document
 * YAML and as the same content in JSON (a `kind: List`): each checked by the real command in its
 * own process. Prints `check_yaml_50mb_s=`, `check_json_50mb_s=`, `check_yaml_json_ratio=` and the
 * peak RSS of each. Goal: the ratio at most 3, YAML under 512 MiB.
 */
import { spawnSync } from "child_process";
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { runCheck } from "./runCheck";

export const BENCH_RESOURCES = 10_000;

type Json = Record<string, unknown>;

const STACK = "urn:pulumi:bench::mlstack::pulumi:pulumi:Stack::mlstack-bench";
const urnOf = (type: string, name: string) => `urn:pulumi:bench::mlstack::${type}::${name}`;

function container(i: number): Json {
  return {
    name: "server",
    image: i % 7 === 0 ? "docker.io/library/nginx:latest" : `ghcr.io/mlstack/model-${i % 50}:1.${i % 9}.0`,
    ports: [{ containerPort: 8080, name: "http" }],
    env: [
      { name: "MODEL_NAME", value: `model-${i}` },
      { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
    ],
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
    readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
    livenessProbe: { httpGet: { path: "/health", port: 8080 } },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      readOnlyRootFilesystem: i % 5 !== 0,
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: "RuntimeDefault" },
    },
  };
}

function labels(team: string, name: string): Json {
  return {
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/component": "model-serving",
    "mlstack.io/environment": "prod",
    "mlstack.io/team": team,
  };
}

/** One resource of the generated stack: the i-th of a repeating mix of types. */
function generated(i: number): { type: string; name: string; inputs: Json; deps?: Record<string, string[]> } {
  const team = `team-${i % 100}`;
  const ns = `ml-bench-${team}`;
  const name = `r${i}`;
  const meta = { name, namespace: ns, labels: labels(team, name) };
  const pod = {
    serviceAccountName: name,
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [container(i)],
  };
  switch (i % 20) {
    case 0:
      return {
        type: "kubernetes:core/v1:Namespace",
        name: ns + `-${i}`,
        inputs: {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: {
            name: `${ns}-${i}`,
            labels: { ...labels(team, ns), "pod-security.kubernetes.io/enforce": "restricted" },
          },
        },
      };
    case 1:
      return {
        type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        name,
        inputs: {
          apiVersion: "networking.k8s.io/v1",
          kind: "NetworkPolicy",
          metadata: meta,
          spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        },
      };
    case 2:
    case 3:
    case 4:
      return {
        type: "kubernetes:apps/v1:Deployment",
        name,
        inputs: {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: meta,
          spec: {
            replicas: 2,
            selector: { matchLabels: { "app.kubernetes.io/name": name } },
            template: { metadata: { labels: labels(team, name) }, spec: pod },
          },
        },
      };
    case 5:
      return {
        type: "kubernetes:apps/v1:StatefulSet",
        name,
        inputs: {
          apiVersion: "apps/v1",
          kind: "StatefulSet",
          metadata: meta,
          spec: {
            replicas: 3,
            serviceName: name,
            selector: { matchLabels: { "app.kubernetes.io/name": name } },
            template: { metadata: { labels: labels(team, name) }, spec: pod },
          },
        },
      };
    case 6:
      return {
        type: "kubernetes:batch/v1:CronJob",
        name,
        inputs: {
          apiVersion: "batch/v1",
          kind: "CronJob",
          metadata: meta,
          spec: {
            schedule: "0 * * * *",
            jobTemplate: {
              spec: {
                template: {
                  metadata: { labels: labels(team, name) },
                  spec: { ...pod, restartPolicy: "Never" },
                },
              },
            },
          },
        },
      };
    case 7:
    case 8:
      return {
        type: "kubernetes:core/v1:Service",
        name,
        inputs: {
          apiVersion: "v1",
          kind: "Service",
          metadata: meta,
          spec: {
            type: i % 40 === 7 ? "NodePort" : "ClusterIP",
            selector: { "app.kubernetes.io/name": name },
            ports: [{ port: 8080 }],
          },
        },
      };
    case 9:
    case 10:
      return {
        type: "kubernetes:core/v1:ConfigMap",
        name,
        inputs: {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: meta,
          data: { "log.level": "info", "config.yaml": `model: ${name}\nthreads: 4\n` },
        },
      };
    case 11:
      return {
        type: "kubernetes:policy/v1:PodDisruptionBudget",
        name,
        inputs: {
          apiVersion: "policy/v1",
          kind: "PodDisruptionBudget",
          metadata: meta,
          spec: { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": `r${i - 9}` } } },
        },
      };
    case 12:
      return {
        type: "aws:s3/bucket:Bucket",
        name,
        inputs: {
          bucket: `mlstack-bench-${i}`,
          tags: { "mlstack:environment": "prod", "mlstack:team": team, "mlstack:component": "object-store" },
        },
      };
    case 13:
      return {
        type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        name,
        inputs: {
          bucket: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        deps: { bucket: [urnOf("aws:s3/bucket:Bucket", `r${i - 1}`)] },
      };
    case 14:
      return {
        type: "aws:s3/bucketVersioning:BucketVersioning",
        name,
        inputs: { bucket: `mlstack-bench-${i - 2}`, versioningConfiguration: { status: "Enabled" } },
      };
    case 15:
      return {
        type: "aws:rds/instance:Instance",
        name,
        inputs: {
          engine: "postgres",
          engineVersion: "17.2",
          instanceClass: "db.m7g.large",
          storageEncrypted: true,
          backupRetentionPeriod: 35,
          multiAz: true,
          deletionProtection: true,
          publiclyAccessible: false,
          parameterGroupName: `pg-${i}`,
        },
      };
    case 16:
      return {
        type: "aws:iam/role:Role",
        name,
        inputs: {
          assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
            ],
          }),
        },
      };
    case 17:
      return {
        type: "aws:iam/policy:Policy",
        name,
        inputs: {
          policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:PutObject"],
                Resource: `arn:aws:s3:::mlstack-bench-${i}/*`,
              },
            ],
          }),
        },
      };
    case 18:
      return {
        type: "gcp:storage/bucket:Bucket",
        name,
        inputs: {
          name: `mlstack-bench-${i}`,
          location: "EU",
          uniformBucketLevelAccess: true,
          publicAccessPrevention: "enforced",
          versioning: { enabled: true },
        },
      };
    default:
      return {
        type: "gcp:sql/databaseInstance:DatabaseInstance",
        name,
        inputs: {
          databaseVersion: "POSTGRES_17",
          settings: {
            tier: "db-custom-2-8192",
            ipConfiguration: { ipv4Enabled: false, sslMode: "ENCRYPTED_ONLY" },
            backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true },
          },
        },
      };
  }
}

/** A `pulumi preview --json` document with `count` resources (plus the stack). */
export function generatePreview(count: number = BENCH_RESOURCES): Json {
  const steps: Json[] = [
    {
      op: "create",
      urn: STACK,
      newState: { urn: STACK, custom: false, type: "pulumi:pulumi:Stack", inputs: {}, outputs: {} },
    },
  ];
  for (let i = 0; i < count; i++) {
    const r = generated(i);
    const urn = urnOf(r.type, r.name);
    steps.push({
      op: "create",
      urn,
      provider: "urn:pulumi:bench::mlstack::pulumi:providers:default::04da6b54-80e4-46f7-96ec-b56ff0331ba9",
      newState: {
        urn,
        custom: true,
        type: r.type,
        inputs: r.inputs,
        outputs: {},
        parent: STACK,
        ...(r.deps ? { propertyDependencies: r.deps } : {}),
      },
    });
  }
  return {
    config: { "mlstack:target": "kubernetes", "mlstack:environment": "prod" },
    steps,
    changeSummary: { create: count + 1 },
  };
}

/** The preview's Kubernetes objects, repeated in renamed namespaces until they fill about `bytes` of YAML. */
export function manifestCorpus(bytes: number): { yaml: string; json: string; objects: number } {
  const templates = (generatePreview(2_000).steps as Array<{ newState: { inputs: Json } }>)
    .map((s) => s.newState.inputs)
    .filter((o) => typeof o.apiVersion === "string");
  const docs: string[] = [];
  const items: string[] = [];
  let size = 0;
  for (let copy = 0; size < bytes; copy++) {
    for (const t of templates) {
      const object = renamespaced(t, copy);
      const yaml = blockYaml(object, "");
      docs.push(yaml);
      items.push(JSON.stringify(object));
      size += yaml.length + 4;
      if (size >= bytes) break;
    }
  }
  return {
    yaml: docs.join("---\n"),
    json: `{"apiVersion": "v1", "kind": "List", "items": [\n${items.join(",\n")}\n]}\n`,
    objects: docs.length,
  };
}

/** The object in the copy's namespaces (`ml-bench-team-3` becomes `ml-bench-team-3-c7`). */
function renamespaced(object: Json, copy: number): Json {
  return JSON.parse(
    JSON.stringify(object).replace(/"(ml-bench-team-\d+)(-\d+)?"/g, (_m, ns: string, suffix?: string) =>
      JSON.stringify(`${ns}-c${copy}${suffix ?? ""}`),
    ),
  ) as Json;
}

/** Strings that may stay unquoted in YAML 1.1 without turning into another type. */
const PLAIN_SAFE = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
const YAML11_WORDS = /^(y|n|yes|no|on|off|true|false|null)$/i;

/** Block-style YAML as kubectl prints it (plain where safe, else double-quoted), for the benchmark. */
function blockYaml(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]\n";
    return value
      .map((v) => {
        const inner = blockYaml(v, `${indent}  `);
        return isObjectLike(v) ? `${indent}- ${inner.slice(indent.length + 2)}` : `${indent}- ${inner}`;
      })
      .join("");
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}\n";
    return entries
      .map(([k, v]) => {
        const key = scalar(k);
        return isObjectLike(v)
          ? `${indent}${key}:\n${blockYaml(v, `${indent}  `)}`
          : `${indent}${key}: ${blockYaml(v, indent)}`;
      })
      .join("");
  }
  return `${scalar(value)}\n`;
}

function isObjectLike(v: unknown): boolean {
  return typeof v === "object" && v !== null && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
}

function scalar(v: unknown): string {
  if (typeof v === "string") return PLAIN_SAFE.test(v) && !YAML11_WORDS.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/** Wall time and peak RSS of `mlstack check <file>` in its own process. */
function checkProcess(
  file: string,
  preload: string,
): { seconds: number; rssMb: number; exit: number | null } {
  const bin = path.resolve(__dirname, "../../bin/mlstack.js");
  const start = performance.now();
  const r = spawnSync(process.execPath, ["--require", preload, bin, "check", file, "--format", "json"], {
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  const seconds = (performance.now() - start) / 1000;
  const rss = /mlstack-bench-max-rss-kb=(\d+)/.exec(r.stderr ?? "");
  return { seconds, rssMb: rss ? Number(rss[1]) / 1024 : NaN, exit: r.status };
}

/** Checks 50 MB of YAML and the same content as JSON, each in a fresh process; returns the result line. */
export async function benchYamlCheck(bytes = 50_000_000): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "mlstack-bench-yaml-"));
  try {
    const corpus = manifestCorpus(bytes);
    const yamlFile = path.join(dir, "manifests.yaml");
    const jsonFile = path.join(dir, "manifests.json");
    await fs.writeFile(yamlFile, corpus.yaml);
    await fs.writeFile(jsonFile, corpus.json);
    // Reports the child's own peak RSS on exit (Node has no rusage for a child process).
    const preload = path.join(dir, "report-rss.js");
    await fs.writeFile(
      preload,
      'process.on("exit", () => process.stderr.write(`mlstack-bench-max-rss-kb=${process.resourceUsage().maxRSS}\\n`));\n',
    );
    const yaml = checkProcess(yamlFile, preload);
    const json = checkProcess(jsonFile, preload);
    if (yaml.exit === 2 || json.exit === 2)
      throw new Error("the generated manifests were rejected as unusable input");
    const line = [
      `check_yaml_50mb_s=${yaml.seconds.toFixed(2)}`,
      `check_json_50mb_s=${json.seconds.toFixed(2)}`,
      `check_yaml_json_ratio=${(yaml.seconds / json.seconds).toFixed(2)}`,
      `check_yaml_50mb_rss_mb=${yaml.rssMb.toFixed(0)}`,
      `check_json_50mb_rss_mb=${json.rssMb.toFixed(0)}`,
      `check_yaml_50mb_objects=${corpus.objects}`,
    ].join(" ");
    console.log(line);
    return line;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function best(times: number, fn: () => Promise<void>): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await fn();
    min = Math.min(min, performance.now() - start);
  }
  return min / 1000;
}

/** Generates the document, times the check and the parse floor, and returns the result line. */
export async function benchCheck(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "mlstack-bench-"));
  const file = path.join(dir, "preview-10k.json");
  try {
    await fs.writeFile(file, JSON.stringify(generatePreview(BENCH_RESOURCES), null, 2));
    const parse = await best(3, async () => {
      JSON.parse(await fs.readFile(file, "utf8"));
    });
    let exit = -1;
    const check = await best(3, async () => {
      exit = await runCheck([file, "--format", "json"], {
        stdout: () => undefined,
        stderr: () => undefined,
        cwd: dir,
      });
    });
    if (exit === 2) throw new Error("the generated preview was rejected as unusable input");
    const line = `check_10k_s=${check.toFixed(3)} check_parse_ratio=${(check / parse).toFixed(2)}`;
    console.log(line);
    return `${line}\n${await benchYamlCheck()}`;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
