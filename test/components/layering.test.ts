/**
 * Imports point one way: the lint rule in eslint.config.mjs refuses, under components/, an import of
 * the stack layer (or the CLI) and of a sibling component's implementation file, and lets contracts,
 * settings and the shared kube/ helpers through. ESLint runs in a child process (it loads its flat
 * config with a dynamic import, which Jest's module sandbox does not provide) on small files in a
 * temp folder, with the rule exactly as the repository's config applies it to components/.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");

const PROBE = `
const path = require("path");
const fromRepo = (name) => require(require.resolve(name, { paths: [process.argv[1]] }));
const { ESLint } = fromRepo("eslint");
const parser = fromRepo("@typescript-eslint/parser");
(async () => {
  const [repo, tmp] = process.argv.slice(1);
  const real = new ESLint({ cwd: repo });
  const component = await real.calculateConfigForFile(path.join(repo, "components/kafka/StrimziKafka.ts"));
  const stack = await real.calculateConfigForFile(path.join(repo, "stacks/platform.ts"));
  const rule = component.rules["no-restricted-imports"];
  const probe = new ESLint({
    cwd: tmp,
    overrideConfigFile: true,
    overrideConfig: [{ files: ["**/*.ts"], languageOptions: { parser }, rules: { "no-restricted-imports": rule } }],
  });
  const results = await probe.lintFiles(["**/*.ts"]);
  process.stdout.write(JSON.stringify({
    // The stack layer keeps only the repository-wide rule (no root imports of the cloud SDKs), never
    // the layering patterns.
    stackHasLayering: (stack.rules["no-restricted-imports"] ?? []).some((o) => o && Array.isArray(o.patterns) && o.patterns.length > 0),
    results: Object.fromEntries(results.map((r) => [path.relative(tmp, r.filePath), r.messages.map((m) => m.message)])),
  }));
})().catch((err) => { console.error(err); process.exit(1); });
`;

const FILES: Record<string, string> = {
  "components/kafka/importsStackConfig.ts":
    'import { PLATFORM_OWNER } from "../../stacks/config";\nexport const owner = PLATFORM_OWNER;\n',
  "components/kafka/importsCli.ts":
    'import { runPlan } from "../../cli/plan";\nexport const plan = runPlan;\n',
  "components/operators/importsSiblingImplementation.ts":
    'import { StrimziKafka } from "../kafka/StrimziKafka";\nexport const kafka = StrimziKafka;\n',
  "components/serving/importsContractsAndKube.ts": [
    'import type { KafkaCluster } from "../kafka/contract";',
    'import type { KafkaConfig } from "../kafka/settings";',
    'import { isQuantity } from "../kube/quantity";',
    'import { PLATFORM_OWNER } from "../platformIdentity";',
    'import { kserveMetricsPort } from "./inferenceService";',
    "export type Both = [KafkaCluster, KafkaConfig];",
    "export const used = [isQuantity, PLATFORM_OWNER, kserveMetricsPort];",
    "",
  ].join("\n"),
};

let lint: { stackHasLayering: boolean; results: Record<string, string[]> };

beforeAll(() => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-layering-"));
  try {
    for (const [file, text] of Object.entries(FILES)) {
      fs.mkdirSync(path.join(tmp, path.dirname(file)), { recursive: true });
      fs.writeFileSync(path.join(tmp, file), text);
    }
    const out = execFileSync(process.execPath, ["-e", PROBE, ROOT, tmp], { encoding: "utf8" });
    lint = JSON.parse(out);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}, 60_000);

describe("the layering lint rule", () => {
  it("refuses a component importing the stack layer", () => {
    expect(lint.results["components/kafka/importsStackConfig.ts"]).toEqual([
      expect.stringContaining("components/ must not import the stack layer"),
    ]);
  });

  it("refuses a component importing the CLI", () => {
    expect(lint.results["components/kafka/importsCli.ts"]).toEqual([
      expect.stringContaining("components/ must not import the stack layer or the CLI"),
    ]);
  });

  it("refuses a component importing a sibling component's implementation file", () => {
    expect(lint.results["components/operators/importsSiblingImplementation.ts"]).toEqual([
      expect.stringContaining("not its implementation files"),
    ]);
  });

  it("lets contracts, settings, kube helpers and the component's own files through", () => {
    expect(lint.results["components/serving/importsContractsAndKube.ts"]).toEqual([]);
  });

  it("applies to components/ only: the stack layer imports components freely", () => {
    expect(lint.stackHasLayering).toBe(false);
  });
});
