/**
 * Hostile inputs to `mlstack check`'s reader (issue 10, "Reading manifests as Kubernetes does" and
 * "Fail closed"): each case asserts the exit code and the message or finding, and that no stack
 * trace is printed. Some run the real command as a child process (bin/mlstack.js).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { runCheck } from "../../cli/check";

const BIN = path.resolve(__dirname, "../../bin/mlstack.js");
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const TRACE = /\n\s+at /;
/** The reader's bound, or the yaml package's parser running out of stack first (past ~880 levels). */
const TOO_DEEP =
  "(nested more than 500 levels deep \\(maps and lists\\): no Kubernetes object or preview nests that deep|nested too deep for the YAML parser \\(its stack ran out\\)): refused as hostile input";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-hostile-check-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string | Buffer): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

interface Finding {
  policy: string;
  message: string;
  enforcementLevel: string;
  notChecked?: boolean;
  file?: string;
}

/** Runs the check in-process (JSON report); `findings` is empty when the input was refused. */
async function check(target: string, ...flags: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCheck([target, "--format", "json", ...flags], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd: dir,
  });
  expect(stderr).not.toMatch(TRACE);
  const report = stdout
    ? (JSON.parse(stdout) as { violations: Finding[]; summary: { resources: number; inputs: string[] } })
    : undefined;
  return { code, stderr, report, findings: report?.violations ?? [] };
}

/** Runs the real command as a child process, with a deadline (a FIFO must never block it). */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, "check", ...args], {
    cwd: dir,
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(r.signal).toBeNull();
  expect(r.stderr).not.toMatch(TRACE);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const policies = (findings: Finding[]) => findings.map((f) => f.policy);

const POD_HEAD = `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: ml-dev-team
spec:
`;

function pod(containerSecurity: string, podFields = ""): string {
  return `${POD_HEAD}${podFields}  containers:
  - name: c
    image: quay.io/team/app@sha256:${"a".repeat(64)}
    securityContext:
${containerSecurity}`;
}

function previewOf(steps: unknown[]): string {
  return JSON.stringify({ steps });
}

function step(urn: string, newState: unknown, op = "create") {
  return { op, urn, newState };
}

describe("YAML read as kubectl reads it", () => {
  it("flags privileged: yes (a YAML 1.1 boolean) as privileged", async () => {
    write("pod.yaml", pod("      privileged: yes\n"));
    const r = await check("pod.yaml");
    expect(r.code).toBe(1);
    expect(policies(r.findings)).toContain("k8s-no-privileged");
  });

  it("flags hostNetwork: on as a host namespace", async () => {
    write("pod.yaml", pod("      privileged: false\n", "  hostNetwork: on\n"));
    const r = await check("pod.yaml");
    expect(r.code).toBe(1);
    expect(r.findings.find((f) => f.policy === "k8s-no-host-namespaces")?.message).toMatch(/hostNetwork/);
  });

  it("flags a securityContext that arrives through a merge key", async () => {
    write(
      "pod.yaml",
      `x-defaults: &privileged
  privileged: true
${POD_HEAD}  containers:
  - name: c
    image: quay.io/team/app:1
    securityContext:
      <<: *privileged
`,
    );
    const r = await check("pod.yaml");
    expect(r.code).toBe(1);
    expect(policies(r.findings)).toContain("k8s-no-privileged");
  });

  it("applies a merge key after an explicit privileged: false as kubectl does (the merge wins)", async () => {
    write(
      "pod.yaml",
      `x: &on {privileged: On}
${POD_HEAD}  containers:
  - name: c
    image: quay.io/team/app:1
    securityContext:
      privileged: false
      <<: *on
`,
    );
    const r = await check("pod.yaml");
    expect(r.code).toBe(1);
    expect(policies(r.findings)).toContain("k8s-no-privileged");
  });

  it("takes the last of duplicate keys, as kubectl does", async () => {
    write("pod.yaml", pod("      privileged: false\n      privileged: y\n"));
    const r = await check("pod.yaml");
    expect(r.code).toBe(1);
    expect(policies(r.findings)).toContain("k8s-no-privileged");
  });

  it('refuses keys that kubectl would pick between at random (yes and "true")', async () => {
    write("pod.yaml", pod('      yes: 1\n      "true": 2\n'));
    const r = await check("pod.yaml");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^mlstack check: pod\.yaml:\d+: map keys "true" \(a bool\) and .*refused as ambiguous\n$/,
    );
  });

  it("refuses .inf, which kubectl cannot turn into JSON", async () => {
    write("pod.yaml", pod("      runAsUser: .inf\n"));
    const r = await check("pod.yaml");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mlstack check: pod\.yaml:11: \.inf is not a JSON number/);
  });

  it("refuses a document separator followed by content, naming the line", async () => {
    write("two.yaml", `${pod("      privileged: false\n")}--- {kind: Pod}\n`);
    const r = await check("two.yaml");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mlstack check: two\.yaml:12: invalid document separator "--- \{kind: Pod\}"/);
  });

  it("names the document of a multi-document file that is not an object", async () => {
    write("two.yaml", `${pod("      privileged: false\n")}---\n- just\n- a list\n`);
    const r = await check("two.yaml");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mlstack check: two\.yaml:13: document 2: a document that is not an object/);
  });
});

describe("preview steps that cannot be read fail closed", () => {
  const urn = "urn:pulumi:dev::p::kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding::admins";

  it("refuses a step with newState: null, naming the step and its URN", async () => {
    write("preview.json", previewOf([step(urn, null)]));
    const r = await check("preview.json");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `mlstack check: preview.json: steps[0] (${urn}) (op create) has newState null: the resource cannot be checked\n`,
    );
  });

  it("refuses a ClusterRoleBinding with inputs: null", async () => {
    write(
      "preview.json",
      previewOf([
        step(urn, {
          urn,
          type: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
          custom: true,
          inputs: null,
        }),
      ]),
    );
    const r = await check("preview.json");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/steps\[0\]\.newState \(urn:.*::admins\)\.inputs is null, expected an object/);
  });

  it("refuses a custom resource with no inputs at all", async () => {
    write(
      "preview.json",
      previewOf([step(urn, { urn, type: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding" })]),
    );
    const r = await check("preview.json");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /has no inputs \(missing\): a kubernetes:rbac.*ClusterRoleBinding cannot be checked without them/,
    );
  });

  it("refuses a step whose fields have the wrong types", async () => {
    write(
      "preview.json",
      previewOf([step(urn, { urn, type: "kubernetes:core/v1:Pod", inputs: {}, dependencies: "everything" })]),
    );
    const r = await check("preview.json");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.dependencies is the string "everything", expected a list of URNs/);
  });

  it("refuses a stack export whose resource inputs are a string", async () => {
    write(
      "export.json",
      JSON.stringify({ deployment: { resources: [{ urn, type: "kubernetes:core/v1:Pod", inputs: "{}" }] } }),
    );
    const r = await check("export.json");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /deployment\.resources\[0\] \(urn:.*\)\.inputs is the string "\{\}", expected an object/,
    );
  });

  it("reports an image that is Pulumi's unknown placeholder as not checked, never as passing", async () => {
    const podUrn = "urn:pulumi:dev::p::kubernetes:core/v1:Pod::p";
    write(
      "preview.json",
      previewOf([
        step(podUrn, {
          urn: podUrn,
          type: "kubernetes:core/v1:Pod",
          custom: true,
          inputs: {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "p", namespace: "ml-dev-team" },
            spec: { containers: [{ name: "c", image: UNKNOWN }] },
          },
        }),
      ]),
    );
    const r = await check("preview.json", "--env", "dev");
    expect(r.code).toBe(1);
    const notChecked = r.findings.filter((f) => f.notChecked);
    expect(notChecked.length).toBeGreaterThan(0);
    expect(notChecked.some((f) => f.enforcementLevel === "mandatory")).toBe(true);
    expect(notChecked[0].message).toMatch(/^not checked: spec\.containers\[0\]\.image /);
  });
});

describe("directories: symlinks, loops and non-regular files", () => {
  it("follows a symlinked sub-folder inside the root and checks the privileged Pod in it", async () => {
    write("real/pod.yaml", pod("      privileged: true\n"));
    fs.mkdirSync(path.join(dir, "input"));
    fs.symlinkSync(path.join(dir, "real"), path.join(dir, "input", "linked"));
    fs.symlinkSync(path.join(dir, "real"), path.join(dir, "root-link"));
    write("input/ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ml-dev-team}\n");
    // The link points outside `input`: refused. Inside the root given, it is followed.
    const outside = await check("input");
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(
      /^mlstack check: input\/linked: a symbolic link to .*real, outside input: links may not leave/,
    );
    fs.rmSync(path.join(dir, "input", "linked"));
    fs.mkdirSync(path.join(dir, "input", "real"));
    fs.writeFileSync(path.join(dir, "input", "real", "pod.yaml"), pod("      privileged: true\n"));
    fs.symlinkSync(path.join(dir, "input", "real"), path.join(dir, "input", "linked"));
    const inside = await check("input");
    expect(inside.code).toBe(1);
    expect(policies(inside.findings)).toContain("k8s-no-privileged");
    // The folder and its link hold the same file: read once.
    expect(inside.report?.summary.inputs).toEqual(["input/linked/pod.yaml", "input/ok.yaml"]);
  });

  it("ends a symlink loop and reads each file once", async () => {
    write("tree/pod.yaml", pod("      privileged: true\n"));
    fs.symlinkSync(path.join(dir, "tree"), path.join(dir, "tree", "loop"));
    const r = await check("tree");
    expect(r.code).toBe(1);
    expect(r.report?.summary.resources).toBe(1);
  });

  it("refuses a broken symlink named like a manifest", async () => {
    write("tree/ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
    fs.symlinkSync(path.join(dir, "missing.yaml"), path.join(dir, "tree", "gone.yaml"));
    const r = await check("tree");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("mlstack check: tree/gone.yaml: a symbolic link to nothing (broken link)\n");
  });

  it("refuses a FIFO named x.yaml without blocking on it (real command)", () => {
    const fifo = path.join(dir, "x.yaml");
    const made = spawnSync("mkfifo", [fifo]);
    if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
    const r = cli("x.yaml");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("mlstack check: x.yaml: a FIFO (named pipe), not a regular file: refused\n");
  });

  it("refuses a FIFO inside a directory", async () => {
    write("tree/ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
    spawnSync("mkfifo", [path.join(dir, "tree", "pipe.yml")]);
    const r = await check("tree");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("mlstack check: tree/pipe.yml: a FIFO (named pipe), not a regular file: refused\n");
  });

  it("refuses a socket named like a manifest", async () => {
    fs.mkdirSync(path.join(dir, "tree"));
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(dir, "tree", "s.json"), resolve));
    try {
      const r = await check("tree");
      expect(r.code).toBe(2);
      expect(r.stderr).toBe("mlstack check: tree/s.json: a socket, not a regular file: refused\n");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("refuses a device given as the file", async () => {
    const r = await check("/dev/null");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/: a device, not a regular file: refused\n$/);
  });

  it("counts each object of mlstack plan's manifests/ once (all.yaml repeats the per-object files)", async () => {
    const a = pod("      privileged: true\n");
    const b = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: ml-dev-team\n";
    write("manifests/ml-dev-team/pod-p.yaml", a);
    write("manifests/ml-dev-team/configmap-c.yaml", b);
    write("manifests/all.yaml", `${a}---\n${b}`);
    const r = await check("manifests");
    expect(r.code).toBe(1);
    expect(r.report?.summary.resources).toBe(2);
    expect(r.findings.filter((f) => f.policy === "k8s-no-privileged")).toHaveLength(1);
    expect(r.findings.find((f) => f.policy === "k8s-no-privileged")?.file).toBe(
      "manifests/ml-dev-team/pod-p.yaml",
    );
  });

  it("reads a folder mlstack plan wrote through its plan.json, not again through its manifests", async () => {
    const urn = "urn:pulumi:dev::mlstack::kubernetes:core/v1:Pod::p";
    const inputs = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "ml-dev-team", annotations: { ca: UNKNOWN } },
      spec: { containers: [{ name: "c", image: "quay.io/a/b:1", securityContext: { privileged: true } }] },
    };
    write(
      "out/plan.json",
      previewOf([step(urn, { urn, type: "kubernetes:core/v1:Pod", custom: true, inputs })]),
    );
    // The rendered manifest differs from plan.json (the unknown annotation is filled in).
    write("out/manifests/ml-dev-team/pod-p.yaml", pod("      privileged: true\n"));
    write(
      "out/manifests/extra.yaml",
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ml-dev-team}\n",
    );
    write(
      "out/.mlstack-plan.json",
      JSON.stringify({ tool: "mlstack plan", files: ["plan.json", "manifests/ml-dev-team/pod-p.yaml"] }),
    );
    const r = await check("out");
    expect(r.code).toBe(1);
    // plan.json's Pod, and the file the marker does not list; the rendered Pod is not read again.
    expect(r.report?.summary.inputs).toEqual(["out/manifests/extra.yaml", "out/plan.json"]);
    expect(r.findings.filter((f) => f.policy === "k8s-no-privileged")).toHaveLength(1);
  });

  it("keeps both copies when an object differs between files (both are checked)", async () => {
    write("m/a.yaml", pod("      privileged: false\n"));
    write("m/b.yaml", pod("      privileged: true\n"));
    const r = await check("m");
    expect(r.report?.summary.resources).toBe(2);
    expect(r.findings.filter((f) => f.policy === "k8s-no-privileged")).toHaveLength(1);
  });
});

describe("encodings and bounds", () => {
  const privilegedJson = JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "ml-dev-team" },
    spec: { containers: [{ name: "c", image: "quay.io/a/b:1", securityContext: { privileged: true } }] },
  });

  it("accepts JSON with a UTF-8 byte-order mark (real command)", () => {
    write("pod.json", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(privilegedJson)]));
    const r = cli("pod.json", "--format", "json");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/"policy":"k8s-no-privileged"/);
  });

  it("accepts YAML with a UTF-8 byte-order mark", async () => {
    write("pod.yaml", `\ufeff${pod("      privileged: yes\n")}`);
    const r = await check("pod.yaml");
    expect(r.code).toBe(1);
    expect(policies(r.findings)).toContain("k8s-no-privileged");
  });

  it("refuses JSON nested 5,000 levels deep with a message, not a RangeError (real command)", () => {
    write("deep.json", `${"[".repeat(5000)}${"]".repeat(5000)}`);
    const r = cli("deep.json");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "mlstack check: deep.json:1: nested more than 500 levels deep (maps and lists): no Kubernetes object or preview nests that deep, refused as hostile input\n",
    );
  });

  it("refuses block YAML nested 5,000 levels deep", async () => {
    const lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: c}", "data:"];
    for (let i = 1; i <= 5000; i++) lines.push(`${"  ".repeat(i)}k${i}:`);
    write("deep.yaml", `${lines.join("\n")}\n`);
    const r = await check("deep.yaml");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^mlstack check: deep\\.yaml:\\d+: ${TOO_DEEP}\n$`));
  });

  it("reads nesting up to the bound and refuses one level more, naming the bound", async () => {
    const nested = (levels: number) => {
      const lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: c", "data:"];
      for (let i = 1; i < levels; i++) lines.push(`${"  ".repeat(i)}k${i}:`);
      return `${lines.join("\n")}\n`;
    };
    write("ok.yaml", nested(500));
    const ok = await check("ok.yaml");
    expect(ok.stderr).toBe("");
    expect(ok.report?.summary.resources).toBe(1);
    write("deep.yaml", nested(501));
    const r = await check("deep.yaml");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "mlstack check: deep.yaml:505: nested more than 500 levels deep (maps and lists): no Kubernetes object or preview nests that deep, refused as hostile input\n",
    );
  });

  it("refuses flow YAML nested 5,000 levels deep (real command)", () => {
    write(
      "deep.yaml",
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: ${"[".repeat(5000)}${"]".repeat(5000)}\n`,
    );
    const r = cli("deep.yaml");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^mlstack check: deep\\.yaml:\\d+: ${TOO_DEEP}\n$`));
  });

  it("refuses a billion-laughs document with a clear message (real command)", () => {
    const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    write("laughs.yaml", `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\n${levels.join("\n")}\n`);
    const r = cli("laughs.yaml");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^mlstack check: laughs\.yaml:\d+: aliases expand to more than 100,000 nodes \(a "billion laughs" document\?\): refused as hostile input\n$/,
    );
  });

  it("refuses a map that merges itself", async () => {
    write("self.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: &d\n  a: 1\n  <<: *d\n");
    const r = await check("self.yaml");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "mlstack check: self.yaml:6: alias *d is used inside the node it names (a cycle; kubectl refuses it too)\n",
    );
  });
});
