import * as fs from "fs";
import * as path from "path";
import { ROOT, STACK_FRAME, runCli, tempDir } from "./cliProcess";

/** A fresh, empty temp folder handed to the process as TMPDIR: whatever it leaves there shows. */
function withOwnTmp<T>(fn: (tmp: string) => T): T {
  const tmp = tempDir("mlstack-bench-tmp-");
  try {
    return fn(tmp);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

describe("mlstack bench", () => {
  it("--help prints the usage and exits 0 without starting the benchmark", () => {
    withOwnTmp((tmp) => {
      const run = runCli(["bench", "--help"], { env: { TMPDIR: tmp } });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/usage: mlstack bench/);
      expect(run.stdout).toMatch(/--runs N/);
      expect(run.stdout).not.toMatch(/plan_dev_s=/);
      expect(fs.readdirSync(tmp)).toEqual([]);
    });
  });

  it.each([["0"], ["21"], ["2.5"], ["many"]])("refuses --runs %s with what is allowed (exit 2)", (runs) => {
    withOwnTmp((tmp) => {
      const run = runCli(["bench", "--runs", runs], { env: { TMPDIR: tmp } });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`--runs ${runs}: use a whole number from 1 to 20`);
      expect(run.stderr).not.toMatch(STACK_FRAME);
      expect(run.stdout).toBe("");
      expect(fs.readdirSync(tmp)).toEqual([]);
    });
  });

  it("refuses an unknown option (exit 2)", () => {
    const run = runCli(["bench", "--fast"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--fast/);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it("its plan, record and replay measurements leave nothing in the temp folder", () => {
    withOwnTmp((tmp) => {
      const plan = runCli(["bench-worker", "plan", ROOT, "dev"], { env: { TMPDIR: tmp } });
      expect(plan.code).toBe(0);
      const planSample = JSON.parse(plan.stdout.trim().split("\n").pop() as string);
      expect(planSample).toMatchObject({ mode: "plan" });
      expect(planSample.resources).toBeGreaterThan(100);
      expect(planSample.cpuS).toBeGreaterThan(0);
      expect(fs.readdirSync(tmp)).toEqual([]);

      // The recording is written where the bench says (its own work folder), and nowhere else.
      const work = tempDir("mlstack-bench-work-");
      try {
        const recording = path.join(work, "registrations.json");
        const record = runCli(["bench-worker", "record", ROOT, "dev", recording], { env: { TMPDIR: tmp } });
        expect(record.code).toBe(0);
        const replay = runCli(["bench-worker", "replay", recording], { env: { TMPDIR: tmp } });
        expect(replay.code).toBe(0);
        const recorded = JSON.parse(record.stdout.trim().split("\n").pop() as string);
        const replayed = JSON.parse(replay.stdout.trim().split("\n").pop() as string);
        expect(replayed.mode).toBe("replay");
        expect(replayed.resources).toBe(recorded.resources);
        // The plan's steps are its registrations plus the stack and the default providers.
        expect(recorded.resources).toBeLessThan(planSample.resources);
        expect(fs.readdirSync(work)).toEqual(["registrations.json"]);
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
      expect(fs.readdirSync(tmp)).toEqual([]);
    });
  }, 180_000); // three fresh processes, on a machine other builds load
});
