/**
 * The shipped stacks (the `Pulumi.<stack>.yaml` files in the repository root), each planned once
 * per jest run and read by every test file that asks for it.
 *
 * Planning a shipped stack under the mock runtime takes seconds (prod-aws and prod-gcp load the
 * cloud SDKs), and many test files check the same plans. The first file to ask plans the stack as
 * `planStack` does, recording the dependencies of every registration too (test/stacks/devOnKind),
 * and writes the result under the jest run's temp folder; the other files, in either worker, read
 * that copy. A file that asks while another is planning the same stack waits for it.
 *
 * A stale plan cannot hide a change:
 * - the cache lives in the run's own temp folder (test/support/tempRoot.js), which is new for every
 *   run and removed when it ends, so no plan survives from one run to the next;
 * - within a run, its key hashes the contents (not the mtimes) of every file a plan can read: the
 *   program's folders, index.ts, the project and stack files, package-lock.json and this file. A
 *   fresh plan that loaded a project module outside those fails here, naming it.
 * - a plan that would not survive the round trip through the cache unchanged (v8 serialization,
 *   compared with isDeepStrictEqual) fails here instead of reaching the tests altered.
 *
 * Each call returns its own copy, so a test may not change what another file reads. Call it only
 * from files that do not `jest.mock` modules the program loads. Tests that need a config other than
 * a shipped stack file plan it themselves (`planStack` on a project copy, or test/support/render).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import * as v8 from "v8";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { PlanResult, planStack } from "../../cli/plan";
import { ESC_CONFIG_VARIABLE } from "../../cli/plan/escEnvironment";

const ROOT = path.resolve(__dirname, "../..");
/** Folders and files whose contents make up the cache key (relative to the repository root). */
const PROGRAM_FOLDERS = ["stacks", "components", "cli", "policies"];
const PROGRAM_FILES = ["index.ts", "Pulumi.yaml", "package.json", "package-lock.json"];
const TEMP_ROOT_VARIABLE = "MLSTACK_TEST_TMP_ROOT";

/** A shipped stack's plan and, per registered URN, the URNs the engine would wait for. */
export interface ShippedPlan {
  result: PlanResult;
  dependencies: Map<string, string[]>;
}

/** The plan of a shipped stack, as `planStack(ROOT, stack)` returns it. */
export async function shippedPlan(stack: string): Promise<PlanResult> {
  return (await shippedPlanWithDependencies(stack)).result;
}

/** This file's copies, so one test file deserializes each stack once. */
const inFile = new Map<string, Promise<ShippedPlan>>();

export function shippedPlanWithDependencies(stack: string): Promise<ShippedPlan> {
  let plan = inFile.get(stack);
  if (!plan) {
    plan = cachedPlan(stack);
    inFile.set(stack, plan);
    // A failed plan is not remembered: the next test asking sees the error again, not a stale one.
    plan.catch(() => inFile.delete(stack));
  }
  return plan;
}

async function cachedPlan(stack: string): Promise<ShippedPlan> {
  const tempRoot = process.env[TEMP_ROOT_VARIABLE];
  // Outside the unit config's global setup there is no run folder to share: plan in this file.
  if (!tempRoot) return planRecordingDependencies(stack);
  const dir = path.join(tempRoot, "shipped-plans");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${stack}-${inputsHash(ROOT, stack)}.v8`);
  const lock = `${file}.lock`;
  for (;;) {
    if (fs.existsSync(file)) return fromCache(fs.readFileSync(file));
    if (!takeLock(lock)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    try {
      const plan = await planRecordingDependencies(stack);
      checkKeyCoversLoadedModules();
      const bytes = v8.serialize(plan);
      if (!isDeepStrictEqual(fromCache(bytes), plan)) {
        throw new Error(
          `the ${stack} plan changes on its way through the cache; test/support/shippedPlans.ts can no longer share it as it is`,
        );
      }
      // Written under a temporary name and renamed: a reader never sees half a file.
      const partial = `${file}.${process.pid}.partial`;
      fs.writeFileSync(partial, bytes);
      fs.renameSync(partial, file);
      return fromCache(bytes);
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
}

/**
 * Reads a cached plan into this test file's realm. v8.deserialize builds its objects with Node's
 * own Object, Array and Map, not those of the test's vm context, where `instanceof Map` and
 * isDeepStrictEqual would tell them apart; a plan holds plain data only, so each value is rebuilt
 * here (anything else fails, naming where it is). Exported for its test.
 */
export function fromCache(bytes: Buffer): ShippedPlan {
  return intoThisRealm(v8.deserialize(bytes), "plan") as ShippedPlan;
}

function intoThisRealm(value: unknown, where: string): unknown {
  if (typeof value !== "object" || value === null) {
    if (typeof value === "function" || typeof value === "symbol")
      throw new Error(`${where}: a ${typeof value} cannot be cached`);
    return value;
  }
  // Array.from, not value.map: map would build its result with the other realm's Array.
  if (Array.isArray(value)) return Array.from(value, (v, i) => intoThisRealm(v, `${where}[${i}]`));
  const kind = Object.prototype.toString.call(value);
  if (kind === "[object Map]") {
    const out = new Map<unknown, unknown>();
    for (const [k, v] of value as Map<unknown, unknown>)
      out.set(k, intoThisRealm(v, `${where}.get(${String(k)})`));
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (kind !== "[object Object]" || (proto !== null && Object.getPrototypeOf(proto) !== null))
    throw new Error(`${where}: a ${proto?.constructor?.name ?? kind} is not plain data and cannot be cached`);
  const out: Record<string, unknown> = proto === null ? Object.create(null) : {};
  for (const [k, v] of Object.entries(value)) out[k] = intoThisRealm(v, `${where}.${k}`);
  return out;
}

/** Creates the lock file; false while a live process holds it (a dead holder's lock is removed). */
function takeLock(lock: string): boolean {
  try {
    fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const holder = Number(fs.readFileSync(lock, "utf8").trim() || "0");
  if (holder > 0 && !processAlive(holder)) fs.rmSync(lock, { force: true });
  return false;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * sha256 over the path and contents (never the mtimes) of every file a plan of `stack` in the
 * project `root` can read, this file, and the ESC variable the plan reads. Exported for its test.
 */
export function inputsHash(root: string, stack: string, env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash("sha256");
  const add = (file: string, name = path.relative(root, file)) => {
    if (!fs.existsSync(file)) return;
    hash.update(`${name}\0`);
    hash.update(fs.readFileSync(file));
    hash.update("\0");
  };
  for (const folder of PROGRAM_FOLDERS) for (const file of filesUnder(path.join(root, folder))) add(file);
  for (const file of [...PROGRAM_FILES, `Pulumi.${stack}.yaml`, `Pulumi.${stack}.env.yaml`])
    add(path.join(root, file));
  add(__filename, "test/support/shippedPlans.ts");
  hash.update(`${ESC_CONFIG_VARIABLE}=${env[ESC_CONFIG_VARIABLE] ?? ""}`);
  return hash.digest("hex").slice(0, 24);
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** Fails when the plan loaded a project module whose contents the key does not hash. */
function checkKeyCoversLoadedModules(): void {
  const covered = (file: string) => {
    const relative = path.relative(ROOT, file);
    return (
      relative.startsWith("..") ||
      relative.split(path.sep).includes("node_modules") ||
      relative.startsWith(`test${path.sep}`) ||
      PROGRAM_FILES.includes(relative) ||
      PROGRAM_FOLDERS.some((folder) => relative.startsWith(`${folder}${path.sep}`))
    );
  };
  const missed = Object.keys(require.cache).filter((file) => !covered(file));
  if (missed.length > 0) {
    throw new Error(
      `the shipped plans' cache key does not hash ${missed.map((f) => path.relative(ROOT, f)).join(", ")}, which the plan loaded; add its folder to PROGRAM_FOLDERS in test/support/shippedPlans.ts`,
    );
  }
}

type RegisterRequest = { getDependenciesList(): string[] };
type Callback = (err: unknown, resp: { getUrn(): string } | undefined) => void;

/**
 * Plans the stack as `mlstack plan` does, and records the `dependencies` field of every
 * RegisterResourceRequest the SDK sends (the URNs the engine waits for before creating the
 * resource: explicit dependsOn, expanded through components, and input dependencies).
 */
async function planRecordingDependencies(stack: string): Promise<ShippedPlan> {
  const dependencies = new Map<string, string[]>();
  const proto = MockMonitor.prototype as unknown as {
    registerResource(req: RegisterRequest, callback: Callback): Promise<void>;
  };
  const original = proto.registerResource;
  proto.registerResource = function (this: unknown, req: RegisterRequest, callback: Callback) {
    return original.call(this, req, (err, resp) => {
      if (!err && resp) dependencies.set(resp.getUrn(), req.getDependenciesList());
      callback(err, resp);
    });
  };
  try {
    return { result: await planStack(ROOT, stack), dependencies };
  } finally {
    proto.registerResource = original;
  }
}
