import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import { BENCH_RESOURCES, generatePreview, manifestCorpus } from "../../../cli/check/bench";
import { readYamlDocuments, splitDocuments } from "../../../cli/check/kubectlYaml";
import { parseFastPath } from "../../../cli/check/yamlFastPath";
import { runCheck } from "../../../cli/check";

describe("the check benchmark's document", () => {
  it("is a preview of the asked size, mixing Kubernetes, AWS and GCP types", () => {
    const doc = generatePreview(400) as { steps: Array<{ newState: { type: string } }> };
    expect(doc.steps).toHaveLength(401);
    const types = new Set(doc.steps.map((s) => s.newState.type));
    expect(types.size).toBeGreaterThanOrEqual(15);
    expect([...types].some((t) => t.startsWith("aws:"))).toBe(true);
    expect([...types].some((t) => t.startsWith("gcp:"))).toBe(true);
    expect(BENCH_RESOURCES).toBe(10_000);
  });

  it("is a document mlstack check accepts, with findings to report", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "mlstack-bench-test-"));
    const file = path.join(dir, "preview.json");
    await fs.writeFile(file, JSON.stringify(generatePreview(400)));
    let out = "";
    const code = await runCheck([file, "--format", "json"], {
      stdout: (t) => (out += t),
      stderr: () => undefined,
      cwd: dir,
    });
    await fs.rm(dir, { recursive: true, force: true });
    expect(code).toBe(1);
    const policies = new Set(
      (JSON.parse(out) as { violations: Array<{ policy: string }> }).violations.map((v) => v.policy),
    );
    expect([...policies]).toEqual(
      expect.arrayContaining(["k8s-image-tag-pinned", "k8s-service-no-nodeport", "aws-s3-tls-only"]),
    );
  });
});

describe("the YAML benchmark's manifests", () => {
  it("hold the same objects as YAML and as JSON, and the YAML is read by the fast path", async () => {
    const corpus = manifestCorpus(200_000);
    expect(corpus.yaml.length).toBeGreaterThanOrEqual(200_000);
    const fromYaml = [...readYamlDocuments(corpus.yaml)].map((d) => d.value);
    const fromJson = (JSON.parse(corpus.json) as { items: unknown[] }).items;
    expect(fromYaml).toHaveLength(corpus.objects);
    expect(fromYaml).toEqual(fromJson);
    const chunks = [...splitDocuments(corpus.yaml)];
    expect(chunks.every((c) => parseFastPath(c.text) !== "unsupported")).toBe(true);
  });

  it("repeats the objects in renamed namespaces, so no object is counted twice", () => {
    const corpus = manifestCorpus(600_000);
    const ids = (
      JSON.parse(corpus.json) as {
        items: Array<{ kind: string; metadata: { name: string; namespace?: string } }>;
      }
    ).items.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
