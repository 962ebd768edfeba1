/**
 * mlstack reads YAML as kubectl does: every document of the corpus in
 * test/fixtures/check/yaml11/ is read by the real kubectl (`kubectl label --local -o json`, which
 * decodes offline and keeps unknown kinds field for field) and by mlstack, and the two must be
 * equal; the files kubectl refuses, mlstack refuses too (exit 2, no trace).
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCheck } from "../../../cli/check";
import { readYamlDocuments } from "../../../cli/check/kubectlYaml";

const CORPUS = path.join(__dirname, "../../fixtures/check/yaml11");
const KUBECTL = "/usr/bin/kubectl";
const kubectlPresent = fs.existsSync(KUBECTL);
const PROBE_LABEL = "mlstack-probe";

let kubeconfig: string;
let tmp: string;

beforeAll(() => {
  if (!kubectlPresent) {
    console.warn(`${KUBECTL} is not installed: the comparison with kubectl is skipped`);
    return;
  }
  // `--local` needs no cluster; the dummy config points at a closed loopback port anyway, so a
  // kubectl that tried to reach a server would fail instead of going anywhere.
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-kubectl-"));
  kubeconfig = path.join(tmp, "config");
  fs.writeFileSync(
    kubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters: [{name: none, cluster: {server: 'https://127.0.0.1:9'}}]",
      "users: [{name: none, user: {}}]",
      "contexts: [{name: none, context: {cluster: none, user: none}}]",
      "current-context: none",
      "",
    ].join("\n"),
  );
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function kubectl(file: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(KUBECTL, ["label", "--local", "-o", "json", "-f", file, `${PROBE_LABEL}=1`], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: tmp, KUBECONFIG: kubeconfig },
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** kubectl's objects, in document order, without the label the command had to add. */
function kubectlObjects(file: string): unknown[] {
  const r = kubectl(file);
  if (r.status !== 0) throw new Error(`kubectl refused ${file}: ${r.stderr}`);
  const items = jsonValues(r.stdout);
  for (const item of items as Array<{ metadata: { labels: Record<string, string> } }>) {
    delete item.metadata.labels[PROBE_LABEL];
    if (Object.keys(item.metadata.labels).length === 0) delete (item.metadata as { labels?: unknown }).labels;
  }
  return items;
}

/** The JSON values kubectl prints one after another (one per document). */
function jsonValues(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (depth++ === 0) start = i;
    } else if (c === "}" || c === "]") {
      if (--depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return out;
}

/** mlstack's documents, as JSON would carry them (what kubectl prints). */
function mlstackObjects(file: string): unknown[] {
  const text = fs.readFileSync(file, "utf8");
  return [...readYamlDocuments(text)].map((d) => JSON.parse(JSON.stringify(d.value)) as unknown);
}

// `.yaml.txt`: YAML that Prettier must not reformat (the corpus is about exact spelling).
const corpus = fs.readdirSync(CORPUS).filter((f) => f.endsWith(".yaml.txt"));
const accepted = corpus.filter((f) => !f.startsWith("refused-") && !f.startsWith("ambiguous-"));
const refused = corpus.filter((f) => f.startsWith("refused-"));

const itWithKubectl = kubectlPresent ? it : it.skip;

describe("YAML read as kubectl reads it", () => {
  it("has a corpus of accepted and refused documents", () => {
    expect(accepted.length).toBeGreaterThanOrEqual(8);
    expect(refused.length).toBeGreaterThanOrEqual(5);
  });

  describe.each(accepted)("%s", (name) => {
    itWithKubectl("reads every document as kubectl does", () => {
      const file = path.join(CORPUS, name);
      const ours = mlstackObjects(file);
      const theirs = kubectlObjects(file);
      expect(ours.length).toBe(theirs.length);
      ours.forEach((doc, i) =>
        expect({ document: i + 1, value: doc }).toEqual({ document: i + 1, value: theirs[i] }),
      );
    });
  });

  describe.each(refused)("%s", (name) => {
    itWithKubectl("is refused by kubectl and by mlstack check (exit 2, one line, no trace)", async () => {
      const file = path.join(CORPUS, name);
      expect(kubectl(file).status).not.toBe(0);
      let stderr = "";
      const code = await runCheck([name], {
        stdout: () => undefined,
        stderr: (t) => (stderr += t),
        cwd: CORPUS,
      });
      expect(code).toBe(2);
      expect(stderr).toMatch(new RegExp(`^mlstack check: ${name.replace(/\./g, "\\.")}:\\d+: .+\\n$`));
      expect(stderr).not.toMatch(/\n\s+at /);
    });
  });

  it('refuses keys that kubectl would resolve at random (yes and "true" in one map)', async () => {
    let stderr = "";
    const code = await runCheck(["ambiguous-key-collision.yaml.txt"], {
      stdout: () => undefined,
      stderr: (t) => (stderr += t),
      cwd: CORPUS,
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /ambiguous-key-collision\.yaml\.txt:10: map keys "true" \(a bool\) and "true" \(a string\) .*refused as ambiguous/,
    );
  });

  itWithKubectl("reads the issue's hostile pod fields as true, as kubectl does", () => {
    const [workload] = mlstackObjects(path.join(CORPUS, "security.yaml.txt")) as Array<{
      spec: {
        template: {
          spec: Record<string, unknown> & { containers: Array<{ securityContext: { privileged: unknown } }> };
        };
      };
    }>;
    const pod = workload.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.hostPID).toBe(true);
    expect(pod.hostIPC).toBe(true);
    expect(pod.containers.map((c) => c.securityContext.privileged)).toEqual([true, true]);
    expect(execFileSync(KUBECTL, ["version", "--client"], { encoding: "utf8" })).toMatch(/Client Version/);
  });
});
