/**
 * Repository security files as specifications: a private way to report vulnerabilities, the licence
 * package.json names, code owners for what decides deployments, CodeQL for both languages the
 * repository is written in, and Dependabot for every ecosystem it pins.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

const ROOT = path.resolve(__dirname, "../..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

describe("SECURITY.md", () => {
  const policy = read("SECURITY.md");

  it("says how to report privately, which versions get fixes and what is in scope", () => {
    const headings = [...policy.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(
      expect.arrayContaining(["Reporting a vulnerability", "Supported versions", "Scope"]),
    );
    expect(policy).toContain("Report a vulnerability");
    expect(policy).toMatch(/do not open a public issue/i);
  });

  it("puts CI and delivery in scope, with a link to the trust model", () => {
    expect(policy).toContain("**CI and delivery** (`.github/`)");
    expect(policy).toContain("[docs/ci.md](docs/ci.md)");
  });
});

describe("LICENSE", () => {
  it("is the Apache License 2.0 that package.json and the policy pack name", () => {
    const text = read("LICENSE");
    expect(
      text.trimStart().startsWith("Apache License\n                           Version 2.0, January 2004"),
    ).toBe(true);
    expect(text).toContain("TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION");
    expect(text).toContain("END OF TERMS AND CONDITIONS");
    // All nine sections of the terms.
    for (let section = 1; section <= 9; section++)
      expect(text).toMatch(new RegExp(`^\\s+${section}\\. [A-Z]`, "m"));
    expect(JSON.parse(read("package.json")).license).toBe("Apache-2.0");
    expect(JSON.parse(read("policies/package.json")).license).toBe("Apache-2.0");
  });
});

describe(".github/CODEOWNERS", () => {
  /** The rules, in order; as in gitignore, `/x` is anchored at the root and `x/` matches a folder's contents. */
  const rules = read(".github/CODEOWNERS")
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter(Boolean)
    .map((line) => {
      const [pattern, ...owners] = line.split(/\s+/);
      const anchored = pattern.startsWith("/");
      const body = pattern
        .replace(/^\//, "")
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, "[^/]*");
      const source =
        pattern === "*" ? ".*" : `${anchored ? "^" : "(^|/)"}${body}${pattern.endsWith("/") ? ".*" : "$"}`;
      return { pattern, owners, regexp: new RegExp(source) };
    });

  /** The owners GitHub would request: the last matching rule wins. */
  const ownersOf = (file: string) => rules.filter((r) => r.regexp.test(file)).pop()?.owners ?? [];

  it.each([
    "policies/index.ts",
    "policies/package.json",
    ".github/workflows/deploy.yml",
    ".github/scripts/output-folder.js",
    ".github/CODEOWNERS",
    "stacks/aws/index.ts",
    "Pulumi.prod.yaml",
  ])("makes the platform team own %s", (file) => {
    expect(ownersOf(file)).toEqual(["@acme/platform"]);
  });

  it("leaves everything else to the maintainers", () => {
    expect(ownersOf("components/kafka/StrimziKafka.ts")).toEqual(["@acme/mlstack-maintainers"]);
    expect(ownersOf("README.md")).toEqual(["@acme/mlstack-maintainers"]);
  });

  it("names only owners GitHub can parse (@org/team or @user)", () => {
    for (const r of rules) for (const owner of r.owners) expect(owner).toMatch(/^@[\w-]+(\/[\w-]+)?$/);
  });
});

describe("CodeQL", () => {
  const workflow = YAML.parse(read(".github/workflows/codeql.yml"));
  const steps = workflow.jobs.analyze.steps as { uses?: string; with?: Record<string, unknown> }[];

  it("analyses JavaScript/TypeScript and Python from source", () => {
    expect(workflow.jobs.analyze.strategy.matrix.language).toEqual(["javascript-typescript", "python"]);
    const init = steps.find((s) => s.uses?.startsWith("github/codeql-action/init@"));
    expect(init?.with).toMatchObject({ languages: "${{ matrix.language }}", "build-mode": "none" });
    expect(steps.some((s) => s.uses?.startsWith("github/codeql-action/analyze@"))).toBe(true);
  });

  it("runs on main, on pull requests and weekly, with only the permissions an upload needs", () => {
    expect(Object.keys(workflow.on).sort()).toEqual(["pull_request", "push", "schedule"]);
    expect(workflow.permissions).toEqual({});
    expect(workflow.jobs.analyze.permissions).toEqual({
      contents: "read",
      "security-events": "write",
      actions: "read",
    });
  });

  it("pins init and analyze to the commit the SARIF uploads already use", () => {
    const upload = /github\/codeql-action\/upload-sarif@([0-9a-f]{40})/.exec(
      read(".github/workflows/pr.yml"),
    )?.[1];
    expect(upload).toBeDefined();
    for (const s of steps.filter((x) => x.uses?.startsWith("github/codeql-action/"))) {
      expect(s.uses?.split("@")[1]).toBe(upload);
    }
  });
});

describe("Dependabot", () => {
  const config = YAML.parse(read(".github/dependabot.yml")) as {
    version: number;
    updates: {
      "package-ecosystem": string;
      directory?: string;
      directories?: string[];
      schedule: { interval: string };
    }[];
  };
  const directoriesOf = (ecosystem: string) =>
    config.updates
      .filter((u) => u["package-ecosystem"] === ecosystem)
      .flatMap((u) => u.directories ?? [u.directory ?? ""])
      .sort();

  it("covers actions, npm (root and the policy pack), pip and Docker (the MLflow image)", () => {
    expect(config.version).toBe(2);
    expect(directoriesOf("github-actions")).toEqual(["/", "/.github/actions/*"]);
    expect(directoriesOf("npm")).toEqual(["/", "/policies"]);
    expect(directoriesOf("pip")).toEqual(["/images/mlflow"]);
    expect(directoriesOf("docker")).toEqual(["/images/mlflow"]);
    for (const u of config.updates) expect(["daily", "weekly", "monthly"]).toContain(u.schedule.interval);
  });

  it("points every entry at a folder that holds what the ecosystem reads", () => {
    const manifest: Record<string, string> = {
      npm: "package.json",
      pip: "requirements.txt",
      docker: "Dockerfile",
    };
    for (const [ecosystem, file] of Object.entries(manifest)) {
      for (const dir of directoriesOf(ecosystem))
        expect([dir, fs.existsSync(path.join(ROOT, dir, file))]).toEqual([dir, true]);
    }
  });
});
