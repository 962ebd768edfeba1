/**
 * `npm run generate:crds`: typed custom resources under `components/crds/` from the CRDs of the
 * operator versions the platform pins. The CRDs are fetched (once, then cached under
 * `.cache/kube/crds/`) by the real API-server test's `operatorCrdFile`; this script only reads them,
 * converts them (`schemaToTs.ts`) and rewrites the folder. Each file's header records the sha256
 * of the CRD documents it came from; `test/real/generatedCrds.test.ts` regenerates in memory and
 * compares, and `test/tools/crds.test.ts` checks the recorded versions against the pins offline.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { operatorCrdFile } from "../../test/real/support/operatorCrds";
import { type Crd, type GeneratedFile, generateFiles, recordedOrigin } from "./schemaToTs";
import { GENERATED_ROOT, GENERATED_SOURCES, type GeneratedSource } from "./sources";

/**
 * The CRDs of one cached CRD file, and the sha256 of its CRD documents. The cache file's leading
 * comment (where and why it was fetched) is left out of the hash: it describes the fetch, not the
 * CRDs, and rewording it must not make the generated files look stale.
 */
export function readCrdFile(file: string): { crds: Crd[]; sha256: string } {
  const text = fs.readFileSync(file, "utf8");
  const crds = YAML.parseAllDocuments(text)
    .map((doc) => doc.toJS() as Crd | null)
    .filter((doc): doc is Crd => doc?.kind === "CustomResourceDefinition");
  return { crds, sha256: createHash("sha256").update(withoutLeadingComment(text)).digest("hex") };
}

/** The text after the comment lines the cache writes at the top of the file. */
export function withoutLeadingComment(text: string): string {
  const lines = text.split("\n");
  let first = 0;
  while (first < lines.length && lines[first].startsWith("#")) first++;
  return lines.slice(first).join("\n");
}

/** Every generated file of one source (fetching its CRDs if they are not cached yet). */
export async function renderSource({ source, kinds }: GeneratedSource): Promise<GeneratedFile[]> {
  const { crds, sha256 } = readCrdFile(await operatorCrdFile(source));
  const wanted = kinds ? new Set(kinds) : undefined;
  const files = generateFiles(crds, { operator: source.operator, version: source.version, sha256 }, (kind) =>
    wanted ? wanted.has(kind) : true,
  );
  const generatedKinds = new Set(crds.map((c) => c.spec.names.kind));
  const missing = kinds?.filter((k) => !generatedKinds.has(k)) ?? [];
  if (missing.length > 0)
    throw new Error(`${source.operator} ${source.version} has no CRD for ${missing.join(", ")}`);
  return files;
}

export async function renderAll(): Promise<GeneratedFile[]> {
  const files: GeneratedFile[] = [];
  for (const source of GENERATED_SOURCES) files.push(...(await renderSource(source)));
  return files;
}

/** The generated files now under `components/crds/` (relative paths), by their header. */
export function existingGeneratedFiles(root = GENERATED_ROOT): string[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .filter((f) => recordedOrigin(fs.readFileSync(path.join(root, f), "utf8")) !== undefined)
    .sort();
}

/**
 * Rewrites the files of every source whose CRDs can be read; a source that cannot be fetched keeps
 * its files as they are and makes the run fail, naming it.
 */
async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const failures: string[] = [];
  let written = 0;
  let bytes = 0;
  let lines = 0;
  for (const generated of GENERATED_SOURCES) {
    const { operator } = generated.source;
    let files: GeneratedFile[];
    try {
      files = await renderSource(generated);
    } catch (error) {
      failures.push(
        `${operator} ${generated.source.version}: ${error instanceof Error ? error.message : String(error)}`,
      );
      continue;
    }
    for (const stale of existingGeneratedFiles())
      if (recordedOrigin(fs.readFileSync(path.join(GENERATED_ROOT, stale), "utf8"))?.operator === operator)
        fs.rmSync(path.join(GENERATED_ROOT, stale));
    for (const file of files) {
      const target = path.join(GENERATED_ROOT, file.path);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, file.text);
      written++;
      bytes += Buffer.byteLength(file.text);
      lines += file.text.split("\n").length - 1;
    }
  }
  for (const dir of fs.readdirSync(GENERATED_ROOT, { withFileTypes: true }))
    if (dir.isDirectory() && fs.readdirSync(path.join(GENERATED_ROOT, dir.name)).length === 0)
      fs.rmdirSync(path.join(GENERATED_ROOT, dir.name));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(
    `${written} files, ${lines} lines, ${bytes} bytes in ${path.relative(process.cwd(), GENERATED_ROOT)}/ (${ms.toFixed(0)} ms)`,
  );
  if (failures.length > 0)
    throw new Error(`not regenerated (their files are unchanged):\n${failures.join("\n")}`);
}

if (require.main === module)
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
