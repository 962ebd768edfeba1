/**
 * `mlstack plan` writes only inside its output folder and deletes only what it wrote there
 * (real filesystem, temp folders): the refusals, the marker, a second plan, an interruption.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runPlan } from "../../cli/plan";
import { MARKER_FILE, checkOutputFolder, isSafeRelativePath } from "../../cli/plan/outputFolder";
import { CliRun, projectCopy, runCli, snapshot, tempDir } from "./cliProcess";

async function plan(
  argv: string[],
  projectDir: string,
  writeFile?: (f: string, c: string) => void,
): Promise<CliRun> {
  const stderr: string[] = [];
  const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  const stdout: string[] = [];
  try {
    const code = await runPlan(argv, projectDir, { log: (l) => stdout.push(l), writeFile });
    return { code, stdout: stdout.join("\n"), stderr: stderr.join("") };
  } finally {
    spy.mockRestore();
  }
}

describe("mlstack plan output folder", () => {
  const project = projectCopy();
  const before = snapshot(project);
  const out = path.join(tempDir("mlstack-out-"), "dev");
  let first: Map<string, string>;

  beforeAll(async () => {
    const run = await plan(["dev", "--out", out, "--quiet"], project);
    expect(run.code).toBe(0);
    first = snapshot(out);
  }, 60_000);

  it("writes a marker listing exactly the files it wrote", () => {
    const marker = JSON.parse(fs.readFileSync(path.join(out, MARKER_FILE), "utf8"));
    expect(marker.tool).toBe("mlstack plan");
    const written = [...first.keys()].filter((f) => f !== MARKER_FILE).sort();
    expect(marker.files).toEqual(written);
    expect(written).toEqual(
      expect.arrayContaining(["plan.json", "policy.sarif", "diagram.mmd", "manifests/all.yaml"]),
    );
    expect(fs.readdirSync(out).filter((f) => f.startsWith(".mlstack-staging"))).toEqual([]);
  });

  it("refuses the project root as --out and keeps every file of the project", async () => {
    const run = await plan(["dev", "--out", project], project);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is the project root");
    expect(snapshot(project)).toEqual(before);
  });

  it("refuses --out . run from the project (the project planned is the one it runs in), and every file stays", () => {
    const run = runCli(["plan", "dev", "--out", "."], { cwd: project });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--out \.: is the project root \(\S+\) or contains it/);
    expect(snapshot(project)).toEqual(before);
  });

  it("refuses a folder that contains the project", async () => {
    const run = await plan(["dev", "--out", path.dirname(project)], project);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is the project root");
    expect(snapshot(project)).toEqual(before);
  });

  it("refuses a filesystem root and the home folder", () => {
    expect(() => checkOutputFolder("/", "/nonexistent-project")).toThrow("is a filesystem root");
    expect(() => checkOutputFolder(os.homedir(), "/nonexistent-project")).toThrow(
      "is your home folder or contains it",
    );
  });

  it("refuses stack name .. before touching any folder", async () => {
    fs.writeFileSync(
      path.join(project, "Pulumi....yaml"),
      fs.readFileSync(path.join(project, "Pulumi.dev.yaml")),
    );
    try {
      const run = await plan([".."], project);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('stack ".." is not a valid stack name');
      expect(fs.existsSync(path.join(project, "out"))).toBe(false);
    } finally {
      fs.rmSync(path.join(project, "Pulumi....yaml"));
    }
  });

  it("refuses an existing non-empty folder it did not create, with exit 2, and leaves it alone", async () => {
    const foreign = tempDir("mlstack-foreign-");
    fs.writeFileSync(path.join(foreign, "notes.txt"), "mine\n");
    const run = await plan(["dev", "--out", foreign], project);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `mlstack plan: --out ${foreign}: folder is not empty and was not written by mlstack plan (no ${MARKER_FILE}); mlstack plan replaces only its own output, so choose a new or empty folder, or one an earlier mlstack plan wrote\n`,
    );
    expect(fs.readdirSync(foreign)).toEqual(["notes.txt"]);
  });

  it("a second plan replaces only its own files: a user's extra file stays, a file it no longer writes goes", async () => {
    fs.writeFileSync(path.join(out, "review-notes.md"), "keep me\n");
    fs.mkdirSync(path.join(out, "manifests", "mine"));
    fs.writeFileSync(path.join(out, "manifests", "mine", "extra.yaml"), "kind: Mine\n");
    // A file an earlier plan wrote that the next one no longer writes (a removed model's manifest).
    const marker = JSON.parse(fs.readFileSync(path.join(out, MARKER_FILE), "utf8"));
    fs.mkdirSync(path.join(out, "manifests", "gone"));
    fs.writeFileSync(path.join(out, "manifests", "gone", "deployment-old.yaml"), "kind: Deployment\n");
    marker.files.push("manifests/gone/deployment-old.yaml");
    fs.writeFileSync(path.join(out, MARKER_FILE), JSON.stringify(marker));

    const run = await plan(["dev", "--out", out, "--quiet"], project);
    expect(run.code).toBe(0);
    expect(fs.readFileSync(path.join(out, "review-notes.md"), "utf8")).toBe("keep me\n");
    expect(fs.readFileSync(path.join(out, "manifests", "mine", "extra.yaml"), "utf8")).toBe("kind: Mine\n");
    expect(fs.existsSync(path.join(out, "manifests", "gone"))).toBe(false);
    const now = snapshot(out);
    for (const [file, content] of first) if (file !== MARKER_FILE) expect(now.get(file)).toBe(content);
  }, 60_000);

  it("an interrupted plan (the writer fails half-way) leaves the previous output intact", async () => {
    const previous = snapshot(out);
    let writes = 0;
    const failing = (file: string, content: string) => {
      if (++writes > 5) throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
      fs.writeFileSync(file, content);
    };
    const run = await plan(["dev", "--out", out, "--quiet"], project, failing);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `could not write ${out}/ (ENOSPC: no space left on device); the previous output is unchanged`,
    );
    expect(snapshot(out)).toEqual(previous);
  }, 60_000);

  it("never deletes a path the marker lists outside the folder", async () => {
    const victim = path.join(path.dirname(out), "victim.txt");
    fs.writeFileSync(victim, "precious\n");
    const planned = path.join(path.dirname(out), "hostile");
    fs.mkdirSync(planned);
    fs.writeFileSync(
      path.join(planned, MARKER_FILE),
      JSON.stringify({ tool: "mlstack plan", files: ["../victim.txt"] }),
    );
    const run = await plan(["dev", "--out", planned], project);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('lists "../victim.txt", which is not a path inside the folder');
    expect(fs.readFileSync(victim, "utf8")).toBe("precious\n");
  });

  it("does not write through a symlink inside its folder", async () => {
    const elsewhere = tempDir("mlstack-elsewhere-");
    const linked = path.join(tempDir("mlstack-linked-"), "dev");
    fs.mkdirSync(linked);
    fs.writeFileSync(path.join(linked, MARKER_FILE), JSON.stringify({ tool: "mlstack plan", files: [] }));
    fs.symlinkSync(elsewhere, path.join(linked, "manifests"));
    const run = await plan(["dev", "--out", linked, "--quiet"], project);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("manifests is not a plain folder (a file or a symlink)");
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  }, 60_000);

  it("accepts only plain relative paths in the marker", () => {
    expect(isSafeRelativePath("manifests/ns/deployment-a.yaml")).toBe(true);
    for (const bad of ["", "/etc/passwd", "../x", "a/../b", "a//b", "./a", ".mlstack-plan.json", "a\\b"]) {
      expect(isSafeRelativePath(bad)).toBe(false);
    }
  });
});
