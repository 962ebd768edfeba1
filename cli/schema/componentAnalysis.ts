/**
 * Runs Pulumi's own component analyzer — the one `pulumi package add` runs to turn a source-based
 * nodejs plugin into a package schema (@pulumi/pulumi 3.270.0, provider/experimental/analyzer.js) —
 * over every component the package exports, and reports per component whether it is accepted, and
 * if not, the analyzer's own reason.
 *
 * Two things differ from one `pulumi package add` call, both to get one verdict per component:
 * - the analyzer stops at the first component it rejects, so each component is analyzed on its own
 *   (one TypeScript program, analyzed once per component: the analyzer's per-run state is reset);
 * - the analyzer only follows imports from the package's main entry (`exports["."]`, then `main`),
 *   while the package has one entry per target (`mlstack/aws`, …): each component is analyzed from
 *   the entry that exports it. Which components the plugin itself serves is `pluginComponents`.
 * The schema is generated with the analyzer's own `generateSchema` from the plugin's components.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { Analyzer, type AnalyzeResult } from "@pulumi/pulumi/provider/experimental/analyzer";
import { generateSchema } from "@pulumi/pulumi/provider/experimental/schema";

/** One component the package exports, and the package entry that exports it. */
export interface ExportedComponent {
  name: string;
  /** The entry's subpath in package.json `exports` (`.` is the main entry). */
  entry: string;
  /** The entry's TypeScript source, relative to the package directory. */
  entryFile: string;
  /** Whether the Pulumi plugin serves it: exported by the main entry, which the nodejs host loads. */
  inPlugin: boolean;
  /**
   * Private or protected fields: the analyzer publishes every field as an output of the schema,
   * private ones too, and the provider returns their values to the calling program.
   */
  privateFields: string[];
}

export type ComponentVerdict = ExportedComponent & {
  accepted: boolean;
  /** The analyzer's refusal (the first property it cannot express). */
  reason?: string;
  /** Every property the analyzer cannot express, found by analyzing on past each refusal. */
  blockers?: string[];
};

export interface PackageAnalysis {
  verdicts: ComponentVerdict[];
  /** The package schema `pulumi package add` generates: the plugin's accepted components. */
  schema: Record<string, unknown>;
}

export interface PackageJson {
  name: string;
  version?: string;
  description?: string;
  main?: string;
  exports?: string | Record<string, unknown>;
}

/** The provider name the nodejs host derives from package.json `name` (cmd/run-plugin/run.js). */
export function providerName(packageName: string): string {
  const unscoped = packageName.replace(/^@[^/]+\//, "");
  return unscoped.replace(/[^-a-zA-Z0-9_]/g, "-");
}

/**
 * The TypeScript source behind a package.json entry path. The analyzer itself maps `x.js` to
 * `x.ts`; a build into an out folder (`dist/components/aws.js`) is mapped back through the build
 * tsconfig's `outDir`/`rootDir` when there is one.
 */
export function sourceOfEntry(dir: string, entryPath: string): string | undefined {
  const rel = entryPath.replace(/^\.\//, "");
  const candidates = [rel.replace(/\.d\.ts$/, ".ts").replace(/\.js$/, ".ts")];
  const buildConfig = path.join(dir, "tsconfig.build.json");
  if (fs.existsSync(buildConfig)) {
    const { config } = ts.readConfigFile(buildConfig, ts.sys.readFile);
    const outDir: string | undefined = config?.compilerOptions?.outDir;
    const rootDir: string = config?.compilerOptions?.rootDir ?? ".";
    if (outDir) {
      const fromOut = path.relative(path.resolve(dir, outDir), path.resolve(dir, candidates[0]));
      if (!fromOut.startsWith("..")) candidates.push(path.relative(dir, path.resolve(dir, rootDir, fromOut)));
    }
  }
  if (!rel.endsWith(".ts") && !rel.endsWith(".js")) candidates.push(`${rel}.ts`, `${rel}/index.ts`);
  return candidates.find((c) => fs.existsSync(path.join(dir, c)) && !c.endsWith(".d.ts"));
}

/** Every entry of package.json (`exports` subpaths, else `main`) with its TypeScript source. */
export function packageEntries(dir: string, pkg: PackageJson): Map<string, string> {
  const entries = new Map<string, string>();
  const add = (subpath: string, target: unknown): void => {
    const file = typeof target === "string" ? target : pickCondition(target);
    const source = file === undefined ? undefined : sourceOfEntry(dir, file);
    if (source !== undefined && !entries.has(subpath)) entries.set(subpath, source);
  };
  if (typeof pkg.exports === "string") add(".", pkg.exports);
  else if (pkg.exports) {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (subpath.startsWith(".") && !subpath.includes("*")) add(subpath, target);
    }
  }
  if (!entries.has(".") && pkg.main) add(".", pkg.main);
  return entries;
}

function pickCondition(target: unknown): string | undefined {
  if (typeof target === "string") return target;
  if (target === null || typeof target !== "object") return undefined;
  const conditions = target as Record<string, unknown>;
  // The analyzer's own order for the main entry: default, require, import.
  for (const key of ["default", "require", "import", "types"]) {
    const picked = pickCondition(conditions[key]);
    if (picked !== undefined) return picked;
  }
  return undefined;
}

/**
 * A tsconfig whose only root files are the package entries (the rest follows from their imports),
 * with the repository's compiler options: the analyzer reads `<dir>/tsconfig.json`, and the
 * repository's own one also compiles every test, which costs the analyzer twice the time and memory.
 */
function entryOnlyTsconfig(dir: string, entryFiles: string[]): string {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-analyzer-"));
  const tsconfig = {
    extends: path.join(dir, "tsconfig.json"),
    compilerOptions: { types: ["node"], typeRoots: [path.join(dir, "node_modules", "@types")] },
    files: entryFiles.map((f) => path.join(dir, f)),
    include: [],
  };
  fs.writeFileSync(path.join(tmp, "tsconfig.json"), JSON.stringify(tsconfig));
  return tmp;
}

/** The component classes (subclasses of pulumi.ComponentResource) a module exports, with their private fields. */
function exportedComponentClasses(
  program: ts.Program,
  file: string,
): Array<{ name: string; privateFields: string[] }> {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) return [];
  const classes: Array<{ name: string; privateFields: string[] }> = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    if (!(symbol.flags & ts.SymbolFlags.Class)) continue;
    const declared = checker.getDeclaredTypeOfSymbol(symbol);
    if (isComponentResource(checker, declared)) {
      classes.push({ name: exported.getName(), privateFields: privateFields(symbol) });
    }
  }
  return classes.sort((a, b) => a.name.localeCompare(b.name));
}

/** Fields (not accessors or methods) that are private, protected or `#private`. */
function privateFields(classSymbol: ts.Symbol): string[] {
  const fields: string[] = [];
  classSymbol.members?.forEach((member) => {
    if (!(member.flags & ts.SymbolFlags.Property) || !member.valueDeclaration) return;
    const modifiers = ts.getCombinedModifierFlags(member.valueDeclaration);
    const hidden = modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected);
    if (hidden || member.getName().startsWith("#") || member.getName().startsWith("__#")) {
      fields.push(member.getName());
    }
  });
  return fields.sort();
}

function isComponentResource(checker: ts.TypeChecker, type: ts.Type): boolean {
  if (!type.isClassOrInterface()) return false;
  return checker.getBaseTypes(type).some((base) => {
    const symbol = base.getSymbol();
    const file = symbol?.declarations?.[0]?.getSourceFile().fileName ?? "";
    if (symbol?.getName() === "ComponentResource" && /@pulumi\/pulumi\/resource\.d\.ts$/.test(file))
      return true;
    return isComponentResource(checker, base);
  });
}

/**
 * The analyzer's per-run state. It keeps the TypeScript program it built in its constructor; these
 * are reset between components so one program serves every verdict (field names of @pulumi/pulumi
 * 3.270.0, provider/experimental/analyzer.js; a test fails if they change).
 */
interface AnalyzerState {
  analyzeSymbol(context: unknown, symbol: ts.Symbol): unknown;
  program: ts.Program;
  componentNames: Set<string>;
  components: Record<string, unknown>;
  typeDefinitions: Record<string, unknown>;
  dependencies: unknown[];
  docStrings: Record<string, string>;
  packageJSON: PackageJson;
}

export function analyzerState(analyzer: Analyzer): AnalyzerState {
  const state = analyzer as unknown as AnalyzerState;
  for (const field of [
    "program",
    "componentNames",
    "components",
    "typeDefinitions",
    "dependencies",
  ] as const) {
    if (state[field] === undefined) {
      throw new Error(`@pulumi/pulumi's Analyzer no longer has the field '${field}': update cli/schema`);
    }
  }
  return state;
}

function analyzeFrom(
  analyzer: Analyzer,
  pkg: PackageJson,
  dir: string,
  entryFile: string,
  names: string[],
): AnalyzeResult {
  const state = analyzerState(analyzer);
  state.packageJSON = { ...pkg, exports: undefined, main: path.join(dir, entryFile) };
  state.componentNames = new Set(names);
  state.components = {};
  state.typeDefinitions = {};
  state.dependencies = [];
  state.docStrings = {};
  return analyzer.analyze();
}

/**
 * Every property of a rejected component the analyzer cannot express: the analyzer is run again
 * with each property's analysis guarded, so a refusal is recorded and the analysis goes on.
 */
function blockersOf(
  analyzer: Analyzer,
  pkg: PackageJson,
  dir: string,
  component: ExportedComponent,
): string[] {
  const state = analyzerState(analyzer);
  const original = state.analyzeSymbol;
  const blockers: string[] = [];
  state.analyzeSymbol = function (this: AnalyzerState, context: unknown, symbol: ts.Symbol) {
    try {
      return original.call(this, context, symbol);
    } catch (e) {
      const message = (e as Error).message.split("\n")[0];
      if (!blockers.includes(message)) blockers.push(message);
      return { type: "string" };
    }
  };
  try {
    analyzeFrom(analyzer, pkg, dir, component.entryFile, [component.name]);
  } catch (e) {
    blockers.push((e as Error).message.split("\n")[0]);
  } finally {
    state.analyzeSymbol = original;
  }
  return blockers;
}

/** Analyzes every component the package at `dir` exports; see the module comment. */
export function analyzePackage(
  dir: string,
  pkg: PackageJson = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as PackageJson,
): PackageAnalysis {
  const entries = packageEntries(dir, pkg);
  const mainEntry = entries.get(".");
  if (mainEntry === undefined) {
    throw new Error(`package.json has no main entry with a TypeScript source (exports["."] or main)`);
  }
  const name = providerName(pkg.name);
  const configDir = entryOnlyTsconfig(dir, [...new Set(entries.values())]);
  try {
    // Any component name will do here: analyze() is called with each component's own name below.
    const analyzer = new Analyzer(configDir, name, pkg, new Set(["-"]));
    const program = analyzerState(analyzer).program;

    const exported = new Map<string, ExportedComponent>();
    const pluginNames = new Set(
      exportedComponentClasses(program, path.join(dir, mainEntry)).map((c) => c.name),
    );
    for (const [entry, entryFile] of entries) {
      for (const { name: component, privateFields } of exportedComponentClasses(
        program,
        path.join(dir, entryFile),
      )) {
        if (exported.has(component)) continue;
        const fromMain = pluginNames.has(component);
        exported.set(component, {
          name: component,
          privateFields,
          entry: fromMain ? "." : entry,
          entryFile: fromMain ? mainEntry : entryFile,
          inPlugin: fromMain,
        });
      }
    }

    const verdicts: ComponentVerdict[] = [...exported.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((component) => {
        try {
          analyzeFrom(analyzer, pkg, dir, component.entryFile, [component.name]);
          return { ...component, accepted: true };
        } catch (e) {
          const reason = (e as Error).message.split("\n")[0];
          return {
            ...component,
            accepted: false,
            reason,
            blockers: blockersOf(analyzer, pkg, dir, component),
          };
        }
      });

    const served = verdicts.filter((v) => v.inPlugin && v.accepted).map((v) => v.name);
    const result: AnalyzeResult =
      served.length > 0
        ? analyzeFrom(analyzer, pkg, dir, mainEntry, served)
        : { components: {}, typeDefinitions: {}, dependencies: [] };
    const schema = generateSchema(
      name,
      pkg.version ?? "0.0.0",
      pkg.description ?? "",
      result.components,
      result.typeDefinitions,
      result.dependencies,
      undefined,
    ) as unknown as Record<string, unknown>;
    return { verdicts, schema };
  } finally {
    fs.rmSync(configDir, { recursive: true, force: true });
  }
}

/** The schema as the checked-in file holds it: stable key order, two-space indent, final newline. */
export function renderSchema(schema: Record<string, unknown>): string {
  return `${JSON.stringify(sortKeys(schema), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out;
}
