/**
 * Writes docs/components.md from the components' source (see componentReference.ts).
 *
 *   npm run docs:components            regenerate
 *   npm run docs:components -- --check exit 1 when the committed file is out of date
 */
import * as fs from "fs";
import * as path from "path";
import { renderComponentReference } from "./componentReference";

const PROJECT_DIR = path.resolve(__dirname, "../..");
const TARGET = path.join(PROJECT_DIR, "docs", "components.md");

function main(argv: string[]): number {
  const expected = renderComponentReference(PROJECT_DIR);
  if (argv.includes("--check")) {
    const current = fs.existsSync(TARGET) ? fs.readFileSync(TARGET, "utf8") : "";
    if (current === expected) return 0;
    process.stderr.write("docs/components.md is out of date: run npm run docs:components\n");
    return 1;
  }
  fs.mkdirSync(path.dirname(TARGET), { recursive: true });
  fs.writeFileSync(TARGET, expected);
  process.stdout.write(`Wrote ${path.relative(PROJECT_DIR, TARGET)}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
