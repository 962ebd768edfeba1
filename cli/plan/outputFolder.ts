/**
 * The folder `mlstack plan` writes (`out/<stack>/` or `--out DIR`), guarded so a plan can never
 * destroy what it did not write:
 *
 * - It refuses a filesystem root, the home folder (or a folder above it), the project root and
 *   any folder that contains the project; and a folder that is not empty unless it holds the
 *   marker `.mlstack-plan.json` that an earlier plan left there.
 * - The marker lists the files that plan wrote. A new plan deletes only files on that list
 *   (and folders it leaves empty); anything else a user put in the folder stays.
 * - The new output is first written in full to a staging folder inside the output folder, then
 *   moved into place file by file (`rename`, atomic on one filesystem), then the files the new
 *   plan no longer writes are removed, then the marker is replaced (temp file + rename). A plan
 *   that fails or is interrupted before the move leaves the previous output as it was.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const MARKER_FILE = ".mlstack-plan.json";
const STAGING_PREFIX = ".mlstack-staging-";
export const MARKER_TOOL = "mlstack plan";

/** Refusal of an output folder: exit 2 with this message, nothing written. */
export class OutputFolderError extends Error {}

interface Marker {
  tool: typeof MARKER_TOOL;
  /** Files written by the last plan, relative to the folder, `/`-separated. */
  files: string[];
}

/** A path mlstack writes inside the folder: relative, plain segments, no `.`/`..`, not reserved. */
export function isSafeRelativePath(file: string): boolean {
  const segments = file.split("/");
  return (
    file.length > 0 &&
    file.length <= 1024 &&
    segments.every(
      (s) => /^[A-Za-z0-9_.-]{1,255}$/.test(s) && s !== "." && s !== ".." && !s.startsWith(".mlstack"),
    )
  );
}

/** The real path of `p`, resolving symlinks of the part that exists. */
function realPath(p: string): string {
  const absolute = path.resolve(p);
  try {
    return fs.realpathSync(absolute);
  } catch {
    const parent = path.dirname(absolute);
    return parent === absolute ? absolute : path.join(realPath(parent), path.basename(absolute));
  }
}

const isSameOrInside = (inner: string, outer: string) =>
  inner === outer || inner.startsWith(outer.endsWith(path.sep) ? outer : outer + path.sep);

function readMarker(dir: string, shown: string): Marker {
  const file = path.join(dir, MARKER_FILE);
  let marker: unknown;
  try {
    marker = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    throw new OutputFolderError(
      `--out ${shown}: ${MARKER_FILE} is not a marker written by mlstack plan (unreadable JSON); remove the folder yourself or choose another`,
    );
  }
  const m = marker as Partial<Marker>;
  if (m?.tool !== MARKER_TOOL || !Array.isArray(m.files) || !m.files.every((f) => typeof f === "string")) {
    throw new OutputFolderError(
      `--out ${shown}: ${MARKER_FILE} is not a marker written by mlstack plan; remove the folder yourself or choose another`,
    );
  }
  const unsafe = m.files.find((f) => !isSafeRelativePath(f));
  if (unsafe !== undefined) {
    throw new OutputFolderError(
      `--out ${shown}: ${MARKER_FILE} lists ${JSON.stringify(unsafe)}, which is not a path inside the folder; mlstack will not delete it. Remove the folder yourself or choose another`,
    );
  }
  return { tool: MARKER_TOOL, files: m.files };
}

/**
 * Checks that `outDir` may be written, and returns the files an earlier plan wrote there
 * (empty for a new or empty folder). Throws OutputFolderError naming the folder and the rule.
 */
export function checkOutputFolder(outDir: string, projectDir: string, shown = outDir): string[] {
  const real = realPath(outDir);
  const allowed = "choose a new or empty folder, or one an earlier mlstack plan wrote";
  if (path.parse(real).root === real) {
    throw new OutputFolderError(`--out ${shown}: is a filesystem root; ${allowed}`);
  }
  const home = realPath(os.homedir());
  if (isSameOrInside(home, real)) {
    throw new OutputFolderError(`--out ${shown}: is your home folder or contains it; ${allowed}`);
  }
  const project = realPath(projectDir);
  if (isSameOrInside(project, real)) {
    throw new OutputFolderError(
      `--out ${shown}: is the project root (${project}) or contains it; ${allowed} (default: out/<stack>)`,
    );
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(real);
  } catch {
    return []; // does not exist yet: the plan creates it
  }
  if (!stat.isDirectory())
    throw new OutputFolderError(`--out ${shown}: exists and is not a folder; ${allowed}`);
  const entries = fs.readdirSync(real).filter((e) => !e.startsWith(STAGING_PREFIX));
  if (entries.length === 0) return [];
  if (!entries.includes(MARKER_FILE)) {
    throw new OutputFolderError(
      `--out ${shown}: folder is not empty and was not written by mlstack plan (no ${MARKER_FILE}); mlstack plan replaces only its own output, so ${allowed}`,
    );
  }
  return readMarker(real, shown).files;
}

/** Writes `content` to `file` atomically: a temp file beside it, then rename over the target. */
export function writeFileAtomic(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, content);
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
}

/** Creates the folders of `relative` under `root`, refusing any that is a symlink or a file. */
function ensureParents(root: string, relative: string, shown: string): void {
  let dir = root;
  for (const segment of relative.split("/").slice(0, -1)) {
    dir = path.join(dir, segment);
    let stat: fs.Stats | undefined;
    try {
      stat = fs.lstatSync(dir);
    } catch {
      fs.mkdirSync(dir);
      continue;
    }
    if (!stat.isDirectory() || stat.isSymbolicLink()) {
      throw new OutputFolderError(
        `--out ${shown}: ${path.relative(root, dir)} is not a plain folder (a file or a symlink); mlstack plan writes only inside its output folder, so remove it or choose another folder`,
      );
    }
  }
}

/** Removes `file` under `root` if it is a file or a link (never a folder), then its emptied parents. */
function removeOwnFile(root: string, relative: string): void {
  const file = path.join(root, ...relative.split("/"));
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    return; // already gone
  }
  if (stat.isDirectory()) return;
  fs.unlinkSync(file);
  for (let dir = path.dirname(file); dir !== root && isSameOrInside(dir, root); dir = path.dirname(dir)) {
    try {
      fs.rmdirSync(dir); // only succeeds when empty
    } catch {
      break;
    }
  }
}

export interface WriteOptions {
  /** How each staged file is written (tests inject a failing writer to simulate an interruption). */
  writeFile?: (file: string, content: string) => void;
  /** Shown in messages instead of the absolute folder. */
  shown?: string;
}

/**
 * Replaces the plan output in `outDir` with `files` (relative path → content), following the rules
 * above. Throws OutputFolderError (refusal) or the underlying error (disk full, interruption):
 * either way before the move the previous output is untouched.
 */
export function writeOutputFolder(
  outDir: string,
  projectDir: string,
  files: ReadonlyMap<string, string>,
  options: WriteOptions = {},
): void {
  const shown = options.shown ?? outDir;
  const writeFile = options.writeFile ?? ((file: string, content: string) => fs.writeFileSync(file, content));
  const previous = checkOutputFolder(outDir, projectDir, shown);
  for (const relative of files.keys()) {
    if (!isSafeRelativePath(relative)) {
      throw new OutputFolderError(
        `--out ${shown}: refusing to write ${JSON.stringify(relative)}: not a plain path inside the folder`,
      );
    }
  }
  const root = realPath(outDir);
  const owned = new Set(previous);
  // Every refusal happens here, before the first file moves: a refusal never leaves a half-moved output.
  const checkedFolders = new Set<string>();
  for (const relative of files.keys()) {
    const segments = relative.split("/");
    for (let i = 1; i < segments.length; i++) {
      const folder = segments.slice(0, i).join("/");
      if (checkedFolders.has(folder)) continue;
      checkedFolders.add(folder);
      let stat: fs.Stats | undefined;
      try {
        stat = fs.lstatSync(path.join(root, ...segments.slice(0, i)));
      } catch {
        continue; // created when the files move in
      }
      if (!stat.isDirectory() || stat.isSymbolicLink()) {
        throw new OutputFolderError(
          `--out ${shown}: ${folder} is not a plain folder (a file or a symlink); mlstack plan writes only inside its output folder, so remove it or choose another folder`,
        );
      }
    }
    if (!owned.has(relative) && fs.existsSync(path.join(root, ...segments))) {
      throw new OutputFolderError(
        `--out ${shown}: ${relative} exists and was not written by mlstack plan; move it away or choose another folder`,
      );
    }
  }
  fs.mkdirSync(root, { recursive: true });
  const staging = fs.mkdtempSync(path.join(root, STAGING_PREFIX));
  try {
    // Staged flat, one numbered file each (a number never exceeds a file name's length limit): no
    // folders to create and remove again in staging (a 100-model plan's ~45 cost a second on a
    // loaded machine, `npm run bench` CPU profile).
    const staged = new Map<string, string>();
    for (const [relative, content] of files) {
      const target = path.join(staging, String(staged.size));
      writeFile(target, content);
      staged.set(relative, target);
    }
    // The journal: until the move ends, the marker lists old and new files, so whatever an
    // interruption leaves behind is still known to be mlstack's and the next plan cleans it up.
    const next = [...files.keys()].sort();
    const journal: Marker = { tool: MARKER_TOOL, files: [...new Set([...previous, ...next])].sort() };
    writeFileAtomic(path.join(root, MARKER_FILE), JSON.stringify(journal, null, 2) + "\n");
    for (const relative of next) {
      ensureParents(root, relative, shown);
      fs.renameSync(staged.get(relative) as string, path.join(root, ...relative.split("/")));
    }
    const kept = new Set(next);
    for (const relative of previous) if (!kept.has(relative)) removeOwnFile(root, relative);
    const marker: Marker = { tool: MARKER_TOOL, files: next };
    writeFileAtomic(path.join(root, MARKER_FILE), JSON.stringify(marker, null, 2) + "\n");
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
