/**
 * The CI workflows as specifications: valid against GitHub's own Actions schema, every shipped stack
 * in every matrix (read from the Pulumi.<stack>.yaml files, so a new stack that is not added fails
 * here), least-privilege permissions, every action pinned to a commit, prod behind an approval gate,
 * the policy pack on every preview and update, and no long-lived cloud key anywhere.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import {
  ROOT,
  Workflow,
  CompositeAction,
  readText,
  workflowFiles,
  actionFiles,
  workflow,
  runs,
} from "./workflowModel";

describe("environment files and the write guard", () => {
  const runScripts = [...workflowFiles, ...actionFiles].flatMap((file) => {
    const doc = YAML.parse(readText(file)) as Workflow & CompositeAction;
    const steps = doc.jobs ? Object.values(doc.jobs).flatMap((j) => j.steps ?? []) : (doc.runs?.steps ?? []);
    return steps.filter((s) => s.run).map((s) => ({ file: path.relative(ROOT, file), run: s.run! }));
  });

  it("writes $GITHUB_OUTPUT, $GITHUB_ENV and the job summary only through step-output.js", () => {
    expect(runScripts.length).toBeGreaterThan(10);
    for (const { file, run } of runScripts) {
      expect([file, run]).not.toEqual([
        file,
        expect.stringMatching(/>>?\s*"?\$\{?GITHUB_(OUTPUT|ENV|STEP_SUMMARY)/),
      ]);
    }
  });

  it("lets only the write guard and the environment-file writer touch files among the CI scripts", () => {
    const dir = path.join(ROOT, ".github/scripts");
    const writers = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".js"))
      .filter((f) =>
        /\bfs\.(write|append|rm|unlink|rename|mkdir|copy|cp|symlink|truncate|chmod)\w*\(/.test(
          readText(path.join(dir, f)),
        ),
      );
    expect(writers.sort()).toEqual(["environment-files.js", "output-folder.js"]);
  });

  it("deletes nothing from a shell step: no rm, and no script output folder made by hand", () => {
    for (const { file, run } of runScripts) {
      expect([file, run]).not.toEqual([file, expect.stringMatching(/\brm\s+-|mkdir -p drift/)]);
    }
  });
});

describe("plan diff on pull requests", () => {
  const pr = workflow("pr.yml");
  const diffJob = pr.jobs["plan-diff"];

  it("plans the base commit as well as the pull request, offline and without credentials", () => {
    expect(diffJob.permissions).toEqual({ contents: "read" });
    expect(diffJob.if).toBeUndefined();
    const checkouts = diffJob.steps!.filter((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkouts.map((s) => s.with)).toEqual([
      { "persist-credentials": false, path: "head" },
      { "persist-credentials": false, ref: "${{ github.event.pull_request.base.sha }}", path: "base" },
    ]);
    const plans = diffJob.steps!.find((s) => s.id === "plans")!.run!;
    expect(plans).toContain(
      '(cd head && node bin/mlstack.js plan "$STACK" --out "$PLANS/head/$STACK" --quiet)',
    );
    expect(plans).toContain(
      '(cd base && node bin/mlstack.js plan "$STACK" --out "$PLANS/base/$STACK" --quiet)',
    );
  });

  it("diffs the two plans as markdown into the job summary and an artifact per stack", () => {
    expect(
      runs(
        diffJob,
        'node head/bin/mlstack.js diff "$PLANS/base/$STACK/plan.json" "$PLANS/head/$STACK/plan.json" --format markdown',
      ),
    ).toBe(true);
    expect(runs(diffJob, 'node head/.github/scripts/plan-diff-report.js "$STACK" "$diff" plan-diff')).toBe(
      true,
    );
    const artifact = diffJob.steps!.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(artifact?.with).toMatchObject({
      name: "plan-diff-${{ matrix.stack }}",
      path: "plan-diff/${{ matrix.stack }}.md",
    });
  });

  it("posts one sticky comment for pull requests from this repository", () => {
    const comment = pr.jobs["plan-diff-comment"];
    expect(comment.needs).toBe("plan-diff");
    expect(comment.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
    expect(comment.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    expect(runs(comment, "node .github/scripts/plan-diff-comment.js plan-diff")).toBe(true);
  });

  it("posts it for forks from the trusted relay, for exactly the pull request the run analysed", () => {
    const relay = workflow("pr-code-scanning.yml").jobs["plan-diff-comment"];
    expect(relay.if).toContain("github.event.workflow_run.head_repository.full_name != github.repository");
    const steps = relay.steps!;
    expect(steps[0]).toMatchObject({
      with: { "persist-credentials": false, "sparse-checkout": ".github/scripts" },
    });
    expect(steps[0].with).not.toHaveProperty("ref");
    const order = steps.map((s) => s.run ?? s.uses ?? "");
    expect(order.findIndex((r) => r.includes("fork-pr.js"))).toBeLessThan(
      order.findIndex((r) => r.includes("plan-diff-comment.js")),
    );
    const download = steps.find((s) => s.uses?.startsWith("actions/download-artifact@"));
    expect(download?.with).toMatchObject({
      pattern: "plan-diff-*",
      "run-id": "${{ github.event.workflow_run.id }}",
    });
    expect(steps.find((s) => s.run?.includes("plan-diff-comment.js"))?.env?.PR_NUMBER).toBe(
      "${{ steps.pr.outputs.number }}",
    );
  });
});

describe("docs/ci.md", () => {
  it("documents every variable and secret the workflows read", () => {
    const doc = readText(path.join(ROOT, "docs/ci.md"));
    const text = [...workflowFiles, ...actionFiles].map(readText).join("\n");
    const names = new Set([...text.matchAll(/\b(?:vars|secrets)\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
    expect(names.size).toBeGreaterThan(5);
    for (const name of names) expect([name, doc.includes(`\`${name}\``)]).toEqual([name, true]);
  });
});
