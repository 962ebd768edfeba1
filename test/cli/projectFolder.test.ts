/**
 * `mlstack plan` renders the Pulumi project it is run in — the folder with Pulumi.yaml, from the
 * current folder upward — not the folder mlstack is installed in.
 */
import * as fs from "fs";
import * as path from "path";
import { ProjectNotFoundError, findProjectFolder } from "../../cli/plan/projectFolder";
import { ROOT, projectCopy, runCli, tempDir } from "./cliProcess";

describe("the project mlstack plan renders", () => {
  it("is the current folder when it holds Pulumi.yaml", () => {
    const project = projectCopy();
    expect(findProjectFolder(project)).toBe(project);
  });

  it("is the nearest folder above with Pulumi.yaml, from a sub-folder", () => {
    const project = projectCopy();
    const deep = path.join(project, "src", "deeper");
    fs.mkdirSync(deep, { recursive: true });
    expect(findProjectFolder(deep)).toBe(project);
  });

  it("skips a folder whose Pulumi.yaml is not a file", () => {
    const project = projectCopy();
    const inner = path.join(project, "inner");
    fs.mkdirSync(path.join(inner, "Pulumi.yaml"), { recursive: true });
    expect(findProjectFolder(inner)).toBe(project);
  });

  it("is refused with the folder named when there is no Pulumi.yaml up to the root", () => {
    const lonely = tempDir("mlstack-no-project-");
    expect(() => findProjectFolder(lonely)).toThrow(ProjectNotFoundError);
    expect(() => findProjectFolder(lonely)).toThrow(`no Pulumi.yaml in ${lonely} or any folder above it`);
  });

  it("plans the stack files of the folder it runs in, and writes out/<stack> there", () => {
    // A stack only the copy has: planning mlstack's own folder instead would not find it.
    const stackFile = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    const project = projectCopy({ mine: stackFile });
    const run = runCli(["plan", "mine", "--quiet"], { cwd: path.join(project, "src") });
    expect(run.stderr).not.toContain("unknown stack");
    expect(run.code).toBe(0);
    expect(fs.existsSync(path.join(project, "out", "mine", "plan.json"))).toBe(true);
    expect(fs.existsSync(path.join(ROOT, "out", "mine"))).toBe(false);
  }, 60_000);

  it("exits 2 with one message naming the folder when run outside any project", () => {
    const lonely = tempDir("mlstack-no-project-");
    const run = runCli(["plan", "dev"], { cwd: lonely });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `mlstack plan: no Pulumi.yaml in ${lonely} or any folder above it; run mlstack plan inside a Pulumi project (the folder with Pulumi.yaml and its Pulumi.<stack>.yaml files)\n`,
    );
  });

  it("answers --help outside any project", () => {
    const run = runCli(["plan", "--help"], { cwd: tempDir("mlstack-no-project-") });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("the folder with Pulumi.yaml");
  });
});
