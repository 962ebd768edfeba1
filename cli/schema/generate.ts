/**
 * Writes docs/package-schema.json: the Pulumi package schema `pulumi package add` generates from
 * this package's components, by Pulumi's own component analyzer (see componentAnalysis.ts), and
 * prints which exported components the analyzer accepts and what blocks the others.
 *
 *   npm run schema:components            regenerate
 *   npm run schema:components -- --check exit 1 when the committed file is out of date
 */
import * as fs from "fs";
import * as path from "path";
import * as prettier from "prettier";
import { analyzePackage, renderSchema } from "./componentAnalysis";

const PROJECT_DIR = path.resolve(__dirname, "../..");
export const SCHEMA_FILE = path.join(PROJECT_DIR, "docs", "package-schema.json");

async function main(argv: string[]): Promise<number> {
  const { verdicts, schema } = analyzePackage(PROJECT_DIR);
  for (const v of verdicts) {
    const where = v.inPlugin ? "plugin" : `entry ${v.entry}`;
    process.stdout.write(`${v.accepted ? "accepted" : "rejected"}  ${v.name} (${where})\n`);
    for (const blocker of v.blockers ?? []) process.stdout.write(`          - ${blocker}\n`);
  }
  // Formatted as the repository's Prettier check expects it.
  const options = (await prettier.resolveConfig(SCHEMA_FILE)) ?? {};
  const expected = await prettier.format(renderSchema(schema), { ...options, filepath: SCHEMA_FILE });
  if (argv.includes("--check")) {
    const current = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, "utf8") : "";
    if (current === expected) return 0;
    process.stderr.write("docs/package-schema.json is out of date: run npm run schema:components\n");
    return 1;
  }
  fs.writeFileSync(SCHEMA_FILE, expected);
  process.stdout.write(`Wrote ${path.relative(PROJECT_DIR, SCHEMA_FILE)}\n`);
  return 0;
}

main(process.argv.slice(2)).then((code) => (process.exitCode = code));
