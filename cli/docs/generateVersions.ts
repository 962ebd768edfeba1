/**
 * Writes docs/versions.md from the version table (see versionTable.ts).
 *
 *   npm run docs:versions            regenerate
 *   npm run docs:versions -- --check exit 1 when the committed file is out of date
 */
import * as fs from "fs";
import * as path from "path";
import { renderVersionTable } from "./versionTable";

const PROJECT_DIR = path.resolve(__dirname, "../..");
const TARGET = path.join(PROJECT_DIR, "docs", "versions.md");

function main(argv: string[]): number {
  const expected = renderVersionTable();
  if (argv.includes("--check")) {
    const current = fs.existsSync(TARGET) ? fs.readFileSync(TARGET, "utf8") : "";
    if (current === expected) return 0;
    process.stderr.write("docs/versions.md is out of date: run npm run docs:versions\n");
    return 1;
  }
  fs.writeFileSync(TARGET, expected);
  process.stdout.write(`Wrote ${path.relative(PROJECT_DIR, TARGET)}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
