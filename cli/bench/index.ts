/**
 * `mlstack bench` (`npm run bench`): measures in one run, each sample in a fresh process —
 *  - `mlstack plan` wall time and peak RSS for `dev` and for a generated large stack
 *    (20 teams, 100 models, 50 topics), against the floor: Pulumi's mock runtime registering
 *    the same number of plain resources with no mlstack code;
 *  - growth in the number of models (25, 50, 100 models): time per model should stay flat;
 *  - `mlstack check` on a 10,000-resource preview against reading + `JSON.parse` of the file.
 * Figures are medians of several samples; the last line is the plan summary.
 */
import { execFileSync } from "child_process";
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
  rssMb: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function sample(projectDir: string, args: string[], runs: number): Sample {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(
      process.execPath,
      [path.join(projectDir, "bin", "mlstack.js"), "bench-worker", ...args],
      {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    samples.push(JSON.parse(out.trim().split("\n").pop() as string) as Sample);
  }
  return {
    mode: samples[0].mode,
    resources: samples[0].resources,
    seconds: median(samples.map((s) => s.seconds)),
    rssMb: median(samples.map((s) => s.rssMb)),
  };
}

/** A throwaway project holding only Pulumi.yaml and one generated stack file. */
function generatedProject(projectDir: string, models: number): { dir: string; stack: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-bench-"));
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
  const fmt = (n: number, digits = 2) => n.toFixed(digits);

  const dev = sample(projectDir, ["plan", projectDir, "dev"], runs);
  log(
    `plan_dev_s=${fmt(dev.seconds)} plan_dev_rss_mb=${fmt(dev.rssMb, 0)} plan_dev_resources=${dev.resources}`,
  );

  const scaling: Array<{ models: number; sample: Sample }> = [];
  for (const models of [25, 50, 100]) {
    const project = generatedProject(projectDir, models);
    try {
      scaling.push({ models, sample: sample(projectDir, ["plan", project.dir, project.stack], runs) });
    } finally {
      fs.rmSync(project.dir, { recursive: true, force: true });
    }
  }
  for (const { models, sample: s } of scaling) {
    log(`plan_models=${models} plan_s=${fmt(s.seconds)} resources=${s.resources} rss_mb=${fmt(s.rssMb, 0)}`);
  }
  // Linear growth: the marginal cost per model between 25→50 and 50→100 models should match.
  const [s25, s50, s100] = scaling.map((x) => x.sample);
  const perModelLow = (s50.seconds - s25.seconds) / 25;
  const perModelHigh = (s100.seconds - s50.seconds) / 50;
  log(
    `plan_per_model_ms_25_50=${fmt(perModelLow * 1000, 1)} plan_per_model_ms_50_100=${fmt(perModelHigh * 1000, 1)} plan_growth_ratio=${fmt(perModelHigh / perModelLow)}`,
  );

  const large = s100;
  const floor = sample(projectDir, ["floor", String(large.resources)], runs);
  log(`floor_resources=${floor.resources} floor_s=${fmt(floor.seconds)} floor_rss_mb=${fmt(floor.rssMb, 0)}`);

  const { benchCheck } = require("../check/bench") as typeof import("../check/bench");
  await benchCheck(); // prints its own line

  log(
    `plan_overhead_ratio=${fmt(large.seconds / floor.seconds)} plan_large_s=${fmt(large.seconds)} plan_large_rss_mb=${fmt(large.rssMb, 0)}`,
  );
  return 0;
}
