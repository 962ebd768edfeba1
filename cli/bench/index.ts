/**
 * `mlstack bench` (`npm run bench`): measures in one run, each sample in a fresh process —
 *  - `mlstack plan` wall time and peak RSS for `dev` and for a generated large stack
 *    (20 teams, 100 models, 50 topics), against two floors with no mlstack code under Pulumi's
 *    mock runtime: the same number of plain resources (`plan_overhead_ratio`), and a replay of
 *    exactly the large plan's registrations — same types, names, parents, inputs and options
 *    (`plan_replay_ratio`, ./replay.ts);
 *  - growth in the number of models (25, 50, 100 models): time per model should stay flat;
 *  - `mlstack check` on a 10,000-resource preview against reading + `JSON.parse` of the file.
 * Figures are medians of several samples (`--runs`); the last two lines are the plan summary.
 * Nothing is left in the temp folder: the bench's files live in one folder it removes.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { CommandSpec, ParsedCommand, UsageError, parseCommand, usage } from "../commandLine/parseCommand";
import { largeStackConfig } from "./largeConfig";

interface Sample {
  mode: string;
  resources: number;
  seconds: number;
  /** User + system CPU seconds of the process. */
  cpuS: number;
  rssMb: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The median of samples of one figure (time and peak RSS each their own median). */
function medianSample(samples: Sample[]): Sample {
  return {
    mode: samples[0].mode,
    resources: samples[0].resources,
    seconds: median(samples.map((s) => s.seconds)),
    cpuS: median(samples.map((s) => s.cpuS)),
    rssMb: median(samples.map((s) => s.rssMb)),
  };
}

/**
 * `runs` samples of one figure, each in a fresh `bench-worker` process. The worker's stderr (the
 * plan's warnings) is shown only if the worker fails.
 */
function sample(projectDir: string, args: string[], runs: number): Sample {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const run = spawnSync(
      process.execPath,
      [path.join(projectDir, "bin", "mlstack.js"), "bench-worker", ...args],
      {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    if (run.status !== 0) {
      throw new BenchError(`bench-worker ${args[0]} exited with ${run.status ?? run.signal}:\n${run.stderr}`);
    }
    samples.push(JSON.parse(run.stdout.trim().split("\n").pop() as string) as Sample);
  }
  return medianSample(samples);
}

/** A measurement that could not be taken (its worker failed): reported without a stack trace. */
class BenchError extends Error {}

/** A throwaway project under `workDir` holding only Pulumi.yaml and one generated stack file. */
function generatedProject(
  workDir: string,
  projectDir: string,
  models: number,
): { dir: string; stack: string } {
  const dir = path.join(workDir, `project-${models}`);
  fs.mkdirSync(dir);
  fs.copyFileSync(path.join(projectDir, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  const stack = `large${models}`;
  fs.writeFileSync(
    path.join(dir, `Pulumi.${stack}.yaml`),
    YAML.stringify({ config: largeStackConfig(20, models, 50) }),
  );
  return { dir, stack };
}

export const BENCH_COMMAND: CommandSpec = {
  name: "bench",
  summary:
    "Measures mlstack plan (dev, a generated 25/50/100-model stack) and mlstack check against their floors,\neach sample in a fresh process; prints key=value lines.",
  positionals: [],
  options: {
    runs: {
      type: "string",
      valueName: "N",
      description: "samples per figure, 1-20 (default 3; the median is shown)",
    },
  },
};

export async function runBench(
  argv: string[],
  projectDir: string,
  log: (line: string) => void = console.log,
): Promise<number> {
  let parsed: ParsedCommand;
  try {
    parsed = parseCommand(BENCH_COMMAND, argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`mlstack bench: ${err.message} (mlstack bench --help shows the usage)\n`);
    return 2;
  }
  if (parsed.help) {
    log(usage(BENCH_COMMAND));
    return 0;
  }
  const runsText = (parsed.values.runs as string | undefined) ?? "3";
  const runs = Number(runsText);
  if (!/^\d+$/.test(runsText) || runs < 1 || runs > 20) {
    process.stderr.write(`mlstack bench: --runs ${runsText}: use a whole number from 1 to 20\n`);
    return 2;
  }
  try {
    await measure(projectDir, runs, log);
    return 0;
  } catch (err) {
    if (!(err instanceof BenchError)) throw err;
    process.stderr.write(`mlstack bench: ${err.message}\n`);
    return 1;
  }
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);

async function measure(projectDir: string, runs: number, log: (line: string) => void): Promise<void> {
  const dev = sample(projectDir, ["plan", projectDir, "dev"], runs);
  log(
    `plan_dev_s=${fmt(dev.seconds)} plan_dev_rss_mb=${fmt(dev.rssMb, 0)} plan_dev_resources=${dev.resources}`,
  );

  // Everything the bench writes lives under one temp folder, removed however the bench ends
  // (Ctrl-C included: the worker running then gets the signal too, and the bench exits after it).
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-bench-"));
  const removeWorkDir = () => fs.rmSync(workDir, { recursive: true, force: true });
  const interrupted = (signal: NodeJS.Signals) => {
    removeWorkDir();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("exit", removeWorkDir);
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    const scaling: Array<{ models: number; sample: Sample }> = [];
    for (const models of [25, 50]) {
      const project = generatedProject(workDir, projectDir, models);
      scaling.push({ models, sample: sample(projectDir, ["plan", project.dir, project.stack], runs) });
    }
    // The large plan, its replay floor and the plain floor, sample by sample in turn, so a change in
    // the machine's load lands on all three alike.
    const large = generatedProject(workDir, projectDir, 100);
    const recording = path.join(workDir, "registrations-large100.json");
    sample(projectDir, ["record", large.dir, large.stack, recording], 1);
    const largeSamples: Sample[] = [];
    const replaySamples: Sample[] = [];
    const floorSamples: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      largeSamples.push(sample(projectDir, ["plan", large.dir, large.stack], 1));
      replaySamples.push(sample(projectDir, ["replay", recording], 1));
    }
    const s100 = medianSample(largeSamples);
    for (let i = 0; i < runs; i++)
      floorSamples.push(sample(projectDir, ["floor", String(s100.resources)], 1));
    scaling.push({ models: 100, sample: s100 });

    for (const { models, sample: s } of scaling) {
      log(
        `plan_models=${models} plan_s=${fmt(s.seconds)} resources=${s.resources} rss_mb=${fmt(s.rssMb, 0)}`,
      );
    }
    // Linear growth: the marginal cost per model between 25→50 and 50→100 models should match.
    const [s25, s50] = scaling.map((x) => x.sample);
    const perModelLow = (s50.seconds - s25.seconds) / 25;
    const perModelHigh = (s100.seconds - s50.seconds) / 50;
    log(
      `plan_per_model_ms_25_50=${fmt(perModelLow * 1000, 1)} plan_per_model_ms_50_100=${fmt(perModelHigh * 1000, 1)} plan_growth_ratio=${fmt(perModelHigh / perModelLow)}`,
    );

    const floor = medianSample(floorSamples);
    log(
      `floor_resources=${floor.resources} floor_s=${fmt(floor.seconds)} floor_rss_mb=${fmt(floor.rssMb, 0)}`,
    );
    const replay = medianSample(replaySamples);
    // Each plan sample over the replay sample taken right after it: the two shared the machine's
    // load of that moment, which the medians of a loaded machine's samples do not.
    const pairRatios = largeSamples.map((s, i) => fmt(s.seconds / replaySamples[i].seconds)).join(",");
    log(
      `replay_resources=${replay.resources} replay_s=${fmt(replay.seconds)} replay_cpu_s=${fmt(replay.cpuS)} replay_rss_mb=${fmt(replay.rssMb, 0)} replay_samples_s=${replaySamples.map((s) => fmt(s.seconds)).join(",")}`,
    );

    const { benchCheck } = require("../check/bench") as typeof import("../check/bench");
    await benchCheck(); // prints its own line

    log(
      `plan_overhead_ratio=${fmt(s100.seconds / floor.seconds)} plan_large_s=${fmt(s100.seconds)} plan_large_rss_mb=${fmt(s100.rssMb, 0)} plan_large_samples_s=${largeSamples.map((s) => fmt(s.seconds)).join(",")}`,
    );
    log(
      `plan_replay_ratio=${fmt(s100.seconds / replay.seconds)} replay_s=${fmt(replay.seconds)} plan_large_s=${fmt(s100.seconds)} plan_replay_cpu_ratio=${fmt(s100.cpuS / replay.cpuS)} replay_cpu_s=${fmt(replay.cpuS)} plan_large_cpu_s=${fmt(s100.cpuS)} plan_replay_pair_ratios=${pairRatios} runs=${runs} (goal <= 1.25)`,
    );
  } finally {
    removeWorkDir();
    process.removeListener("exit", removeWorkDir);
    process.removeListener("SIGINT", interrupted);
    process.removeListener("SIGTERM", interrupted);
  }
}
