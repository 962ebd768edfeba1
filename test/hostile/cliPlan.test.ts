/**
 * Hostile input to `mlstack plan`, `mlstack diff` and the command line: each case runs the real
 * command, and asserts exit 2, the one message that names the flag or key, the value and what is
 * allowed, that nothing outside the output folder changed, and that no stack trace is printed.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { runPlan } from "../../cli/plan";
import { CliRun, ROOT, STACK_FRAME, projectCopy, runCli, snapshot, tempDir } from "../cli/cliProcess";

interface Case {
  name: string;
  /** Arguments; `{tmp}` is replaced by a fresh temp folder prepared by `setup`. */
  argv: string[];
  setup?: (tmp: string) => void;
  env?: (tmp: string) => NodeJS.ProcessEnv;
  message: RegExp;
  /** Checked after the run: what must have survived. */
  after?: (tmp: string) => void;
}

const MARKER = ".mlstack-plan.json";

const planJson = (tmp: string, name: string, body: string) => fs.writeFileSync(path.join(tmp, name), body);

const CASES: Case[] = [
  {
    name: "stack name ..",
    argv: ["plan", ".."],
    message: /^mlstack plan: stack "\.\." is not a valid stack name: Pulumi stack names are 1-100 letters/,
  },
  {
    name: "stack name .",
    argv: ["plan", "."],
    message: /^mlstack plan: stack "\." is not a valid stack name/,
  },
  {
    name: "stack name with a slash",
    argv: ["plan", "a/b"],
    message: /^mlstack plan: stack "a\/b" is not a valid stack name/,
  },
  {
    name: "stack name climbing out",
    argv: ["plan", "../../etc/passwd"],
    message: /stack "\.\.\/\.\.\/etc\/passwd" is not a valid stack name/,
  },
  {
    name: "stack name of 101 characters",
    argv: ["plan", "s".repeat(101)],
    message: /is not a valid stack name: Pulumi stack names are 1-100/,
  },
  {
    name: "a stack that does not exist",
    argv: ["plan", "nope"],
    message: /^mlstack plan: unknown stack "nope": no Pulumi\.nope\.yaml \(stacks: dev, /,
  },
  {
    name: "two stacks",
    argv: ["plan", "dev", "prod"],
    message: /^mlstack plan: plan takes stack, got extra "prod"/,
  },
  {
    name: "--out without a value",
    argv: ["plan", "dev", "--out"],
    message: /^mlstack plan: --out needs a value/,
  },
  { name: "--out= empty", argv: ["plan", "dev", "--out="], message: /^mlstack plan: --out needs a value/ },
  {
    name: "a mistyped option",
    argv: ["plan", "dev", "--qiuet"],
    message: /^mlstack plan: unknown option --qiuet \(did you mean --quiet\?\)/,
  },
  {
    name: "--out on a non-empty folder mlstack did not write",
    argv: ["plan", "dev", "--out", "{tmp}"],
    setup: (tmp) => fs.writeFileSync(path.join(tmp, "thesis.tex"), "years of work\n"),
    message:
      /^mlstack plan: --out \S+: folder is not empty and was not written by mlstack plan \(no \.mlstack-plan\.json\)/,
    after: (tmp) => expect(fs.readFileSync(path.join(tmp, "thesis.tex"), "utf8")).toBe("years of work\n"),
  },
  {
    name: "--out on a file",
    argv: ["plan", "dev", "--out", "{tmp}/file"],
    setup: (tmp) => fs.writeFileSync(path.join(tmp, "file"), "x"),
    message: /^mlstack plan: --out \S+\/file: exists and is not a folder/,
    after: (tmp) => expect(fs.readFileSync(path.join(tmp, "file"), "utf8")).toBe("x"),
  },
  {
    name: "a marker that is not JSON",
    argv: ["plan", "dev", "--out", "{tmp}"],
    setup: (tmp) => fs.writeFileSync(path.join(tmp, MARKER), "{not json"),
    message: /\.mlstack-plan\.json is not a marker written by mlstack plan \(unreadable JSON\)/,
  },
  {
    name: "a marker listing a file outside the folder",
    argv: ["plan", "dev", "--out", "{tmp}/out"],
    setup: (tmp) => {
      fs.mkdirSync(path.join(tmp, "out"));
      fs.writeFileSync(path.join(tmp, "victim.txt"), "precious");
      fs.writeFileSync(
        path.join(tmp, "out", MARKER),
        JSON.stringify({ tool: "mlstack plan", files: ["../victim.txt"] }),
      );
    },
    message: /lists "\.\.\/victim\.txt", which is not a path inside the folder; mlstack will not delete it/,
    after: (tmp) => expect(fs.readFileSync(path.join(tmp, "victim.txt"), "utf8")).toBe("precious"),
  },
  {
    name: "a marker listing an absolute path",
    argv: ["plan", "dev", "--out", "{tmp}"],
    setup: (tmp) =>
      fs.writeFileSync(
        path.join(tmp, MARKER),
        JSON.stringify({ tool: "mlstack plan", files: ["/etc/hostname"] }),
      ),
    message: /lists "\/etc\/hostname", which is not a path inside the folder/,
  },
  {
    name: "--out /",
    argv: ["plan", "dev", "--out", "/"],
    message: /^mlstack plan: --out \/: is a filesystem root; choose a new or empty folder/,
  },
  {
    name: "--out the home folder",
    argv: ["plan", "dev", "--out", "{tmp}/home"],
    setup: (tmp) => {
      fs.mkdirSync(path.join(tmp, "home"));
      fs.writeFileSync(path.join(tmp, "home", ".bashrc"), "alias x=y\n");
    },
    env: (tmp) => ({ HOME: path.join(tmp, "home") }),
    message: /^mlstack plan: --out \S+\/home: is your home folder or contains it/,
    after: (tmp) => expect(fs.readFileSync(path.join(tmp, "home", ".bashrc"), "utf8")).toBe("alias x=y\n"),
  },
  {
    name: "--out a folder above the home folder",
    argv: ["plan", "dev", "--out", "{tmp}"],
    setup: (tmp) => fs.mkdirSync(path.join(tmp, "home")),
    env: (tmp) => ({ HOME: path.join(tmp, "home") }),
    message: /is your home folder or contains it/,
  },
  {
    name: "diff of a missing file",
    argv: ["diff", "{tmp}/nope.json", "{tmp}/nope.json"],
    message: /^mlstack diff: \S+\/nope\.json: cannot read it \(ENOENT\)/,
  },
  {
    name: "diff of a file that is not JSON",
    argv: ["diff", "{tmp}/bad.json", "{tmp}/bad.json"],
    setup: (tmp) => planJson(tmp, "bad.json", "steps: [yaml]"),
    message: /^mlstack diff: \S+\/bad\.json: not JSON \(/,
  },
  {
    name: "diff of JSON that is not a plan",
    argv: ["diff", "{tmp}/other.json", "{tmp}/other.json"],
    setup: (tmp) => planJson(tmp, "other.json", '{"name": "package"}'),
    message:
      /other\.json: not a plan: expected an mlstack plan\.json or `pulumi preview --json` document with a steps array/,
  },
  {
    name: "diff of a plan with a garbage step",
    argv: ["diff", "{tmp}/garbage.json", "{tmp}/garbage.json"],
    setup: (tmp) => planJson(tmp, "garbage.json", '{"steps": [null]}'),
    message: /garbage\.json: steps\[0\] has no urn and newState/,
  },
  {
    name: "diff of a plan nested 100,000 levels deep",
    argv: ["diff", "{tmp}/deep.json", "{tmp}/deep.json"],
    setup: (tmp) => planJson(tmp, "deep.json", `{"steps": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`),
    message: /deep\.json: nested 201 levels deep; a plan is at most 200/,
  },
  {
    name: "diff of a folder",
    argv: ["diff", "{tmp}", "{tmp}"],
    message: /^mlstack diff: \S+: not a regular file; give the plan\.json that mlstack plan wrote/,
  },
  {
    name: "diff with one plan",
    argv: ["diff", "{tmp}/a.json"],
    message: /^mlstack diff: no head plan\.json given/,
  },
  {
    name: "diff --format html",
    argv: ["diff", "a.json", "b.json", "--format", "html"],
    message: /^mlstack diff: --format html: use one of text, markdown, json/,
  },
  {
    name: "check --format xml",
    argv: ["check", "x.yaml", "--format", "xml"],
    message: /^mlstack check: --format xml: use one of text, json, sarif/,
  },
  {
    name: "bench --runs 0",
    argv: ["bench", "--runs", "0"],
    message: /^mlstack bench: --runs 0: use a whole number from 1 to 20/,
  },
  {
    name: "a mistyped command",
    argv: ["dif"],
    message: /^mlstack: unknown command "dif" \(did you mean diff\?\)/,
  },
];

describe("hostile command lines", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s: exit 2, one message, no trace", (_, c) => {
    const tmp = tempDir("mlstack-hostile-");
    c.setup?.(tmp);
    const argv = c.argv.map((a) => a.replace("{tmp}", tmp));
    // `mlstack plan` renders the project it runs in: the repository's, for these cases.
    const run: CliRun = runCli(argv, { cwd: argv[0] === "plan" ? ROOT : tmp, env: c.env?.(tmp) });
    expect(run.stderr).toMatch(c.message);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).not.toMatch(STACK_FRAME);
    c.after?.(tmp);
  });
});

describe("hostile plans in a copy of the project", () => {
  async function plan(argv: string[], projectDir: string): Promise<CliRun> {
    let stderr = "";
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    try {
      const code = await runPlan(argv, projectDir, () => undefined);
      return { code, stdout: "", stderr };
    } finally {
      spy.mockRestore();
    }
  }

  it("--out at the project root: exit 2, every file kept", async () => {
    const project = projectCopy();
    const before = snapshot(project);
    const run = await plan(["dev", "--out", project], project);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^mlstack plan: --out \S+: is the project root \(\S+\) or contains it; choose a new or empty folder/,
    );
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(snapshot(project)).toEqual(before);
  });

  it("a stack file named Pulumi....yaml: exit 2, the project untouched", async () => {
    const project = projectCopy({ "..": fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8") });
    const before = snapshot(project);
    const run = await plan([".."], project);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/stack "\.\." is not a valid stack name/);
    expect(snapshot(project)).toEqual(before);
  });

  it("a stack file that is a FIFO: exit 2 at once instead of hanging", async () => {
    const project = projectCopy();
    execFileSync("mkfifo", [path.join(project, "Pulumi.pipe.yaml")]);
    const run = await plan(["pipe", "--out", path.join(tempDir("mlstack-out-"), "pipe")], project);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "mlstack plan: Pulumi.pipe.yaml: not a regular file (a folder, FIFO or device); a stack file is YAML\n",
    );
  });

  it("a stack file with a billion-laughs alias bomb: exit 2 with one message", async () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      laughs.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    const project = projectCopy({ bomb: `${laughs.join("\n")}\nconfig:\n  mlstack:target: *i\n` });
    const run = await plan(["bomb", "--out", path.join(tempDir("mlstack-out-"), "bomb")], project);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^mlstack plan: Pulumi\.bomb\.yaml: not valid YAML: .*alias/i);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it("a plaintext password in a prod stack: exit 2 naming the key, never the value", async () => {
    const prod = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8");
    const project = projectCopy({ prod: `${prod.trimEnd()}\n  mlstackdb:adminPassword: Tr0ub4dor-and-3\n` });
    const run = await plan(["prod", "--out", path.join(tempDir("mlstack-out-"), "prod")], project);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("mlstackdb:adminPassword is a plaintext credential");
    expect(run.stderr).toContain("in environment prod credentials must be secure: values");
    expect(run.stderr).not.toContain("Tr0ub4dor");
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });
});
