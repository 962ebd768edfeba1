/**
 * Which files `mlstack check <path>` reads, and which objects among them count once.
 *
 * - A file is read as given (a symlink to it included). It must be a regular file: FIFOs,
 *   sockets and devices are refused before they are opened (`documents.ts`).
 * - A directory is walked in name order for `.yaml`, `.yml` and `.json` files, skipping dot
 *   entries and `node_modules`. Symlinks are followed, but never outside the directory given
 *   (refused: a link could smuggle in, or hide, anything), a directory reached twice is walked
 *   once (loops end), a file reached twice is read once, and a broken link or a manifest that is
 *   not a regular file is refused: fail closed, never a silent skip.
 * - A folder `mlstack plan` wrote (its marker `.mlstack-plan.json` lists `plan.json`) is read
 *   through its plan.json: the manifests the marker lists are renderings of the same resources
 *   (with values the preview cannot know filled in differently), so they are skipped; files the
 *   marker does not list are read as usual.
 * - An object found in several files with the same content (`mlstack plan` writes every object
 *   to its own file and again to manifests/all.yaml; `kubectl apply -f` would apply it once) is
 *   checked once: from a preview or stack export if one has it (it knows the resource's
 *   dependencies), else from the file with the fewest objects (the per-object file).
 */
import { promises as fs } from "fs";
import type { Stats } from "fs";
import * as path from "path";
import type { EvaluationResource } from "../../policies/evaluate";
import { MARKER_FILE, MARKER_TOOL } from "../plan/outputFolder";
import { fileKind, InputError } from "./documents";
import type { LoadedDocument } from "./documents";

const MANIFEST_EXTENSIONS = [".yaml", ".yml", ".json"];

/** The files a path stands for: itself, or the manifests under it. */
export async function collectInputFiles(target: string, absolute: string): Promise<string[]> {
  let stat: Stats;
  try {
    stat = await fs.stat(absolute);
  } catch (err) {
    const isLink = await fs
      .lstat(absolute)
      .then((s) => s.isSymbolicLink())
      .catch(() => false);
    throw new InputError(
      target,
      isLink
        ? "a symbolic link to nothing (broken link)"
        : (err as NodeJS.ErrnoException).code === "ENOENT"
          ? "no such file or directory"
          : `cannot read: ${(err as Error).message}`,
    );
  }
  if (!stat.isDirectory()) return [absolute];
  const root = await fs.realpath(absolute);
  const walk = new DirectoryWalk(target, absolute, root);
  await walk.directory(absolute, root);
  if (walk.files.length === 0)
    throw new InputError(target, "the directory holds no .yaml, .yml or .json files");
  return walk.files;
}

class DirectoryWalk {
  readonly files: string[] = [];
  private readonly seenDirectories = new Set<string>();
  private readonly seenFiles = new Set<string>();

  constructor(
    private readonly target: string,
    private readonly absolute: string,
    private readonly root: string,
  ) {}

  /** `dir` as the user sees it (under the path given), `real` its resolved path. */
  async directory(dir: string, real: string, skip?: Set<string>, prefix = ""): Promise<void> {
    if (this.seenDirectories.has(real)) return; // a link back to a directory already walked
    this.seenDirectories.add(real);
    const entries = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const rendered = await planRenderings(dir, entries);
    // Paths in a plan's marker are relative to the folder holding it.
    if (rendered.size > 0) {
      skip = rendered;
      prefix = "";
    }
    for (const e of entries) {
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      const full = path.join(dir, e.name);
      const isManifest = MANIFEST_EXTENSIONS.includes(path.extname(e.name).toLowerCase());
      let resolved = full;
      let stat: Stats;
      if (e.isSymbolicLink()) {
        try {
          resolved = await fs.realpath(full);
        } catch {
          if (!isManifest) continue;
          throw new InputError(this.shown(full), "a symbolic link to nothing (broken link)");
        }
        if (resolved !== this.root && !resolved.startsWith(this.root + path.sep))
          throw new InputError(
            this.shown(full),
            `a symbolic link to ${resolved}, outside ${this.target}: links may not leave the directory checked`,
          );
        stat = await fs.stat(resolved);
      } else {
        stat = await fs.lstat(full);
        resolved = path.join(real, e.name);
      }
      if (stat.isDirectory()) {
        await this.directory(full, resolved, skip, `${prefix}${e.name}/`);
      } else if (isManifest) {
        if (!stat.isFile())
          throw new InputError(this.shown(full), `${fileKind(stat)}, not a regular file: refused`);
        if (this.seenFiles.has(resolved) || skip?.has(`${prefix}${e.name}`)) continue;
        this.seenFiles.add(resolved);
        this.files.push(full);
      }
    }
  }

  private shown(full: string): string {
    return path.join(this.target, path.relative(this.absolute, full)).split(path.sep).join("/");
  }
}

/**
 * The manifests (`manifests/…`, relative to `dir`) that `mlstack plan` rendered from the plan.json
 * beside them, per its marker; empty unless both are regular files and the marker is plan's.
 */
async function planRenderings(
  dir: string,
  entries: Array<{ name: string; isFile(): boolean }>,
): Promise<Set<string>> {
  const has = (name: string) => entries.some((e) => e.name === name && e.isFile());
  if (!has(MARKER_FILE) || !has("plan.json")) return new Set();
  try {
    const marker = JSON.parse(await fs.readFile(path.join(dir, MARKER_FILE), "utf8")) as {
      tool?: unknown;
      files?: unknown;
    };
    if (marker.tool !== MARKER_TOOL || !Array.isArray(marker.files) || !marker.files.includes("plan.json"))
      return new Set();
    return new Set(
      marker.files.filter((f): f is string => typeof f === "string" && f.startsWith("manifests/")),
    );
  } catch {
    return new Set(); // not plan's marker: every file is read
  }
}

function identity(r: EvaluationResource): string {
  return `${r.type}\u0000${JSON.stringify(r.inputs ?? r.outputs ?? null)}`;
}

/** Keeps one copy of each object that several files hold with the same content (see the top). */
export function dropRepeatedObjects(docs: LoadedDocument[]): LoadedDocument[] {
  const owner = new Map<string, LoadedDocument>();
  const rank = (d: LoadedDocument) => (d.kind === "kubernetes" ? d.resources.length : 0);
  for (const d of docs) {
    for (const r of d.resources) {
      if (r.type === "pulumi:pulumi:Stack" || !r.type.startsWith("kubernetes:")) continue;
      const key = identity(r);
      const current = owner.get(key);
      if (!current || rank(d) < rank(current)) owner.set(key, d);
    }
  }
  const out: LoadedDocument[] = [];
  for (const d of docs) {
    const seen = new Set<string>();
    const resources = d.resources.filter((r) => {
      if (r.type === "pulumi:pulumi:Stack" || !r.type.startsWith("kubernetes:")) return true;
      const key = identity(r);
      if (owner.get(key) !== d) return false;
      // Within a preview, two resources may share inputs (auto-named); within a file of manifests
      // the same object twice is one object.
      if (d.kind !== "kubernetes") return true;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (resources.length > 0) out.push(resources.length === d.resources.length ? d : { ...d, resources });
  }
  return out;
}
