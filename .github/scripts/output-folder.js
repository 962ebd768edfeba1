// The write guard of every CI script that creates files, the same rules `mlstack plan` follows for its
// output folder:
//
// - a script writes only inside its own output folder, never the repository root or a folder that
//   contains it (nor the workspace, nor the runner's temp root);
// - it claims a folder only if the folder is new, empty, or was created by this guard before (it holds
//   the manifest `.mlstack-outputs.json`); a non-empty folder someone else made is refused;
// - it replaces or deletes only files the manifest says it wrote; a file name that leaves the folder
//   (`..`, an absolute path, a symlink on the way) is refused;
// - every write is atomic (a temporary file in the same folder, then rename), so an interrupted step
//   leaves the previous file intact.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const MANIFEST = ".mlstack-outputs.json";
const REPOSITORY_ROOT = path.resolve(__dirname, "../..");

class OutputFolderError extends Error {}

/** True when `inner` is `outer` or lies inside it. */
function within(outer, inner) {
  const relative = path.relative(outer, inner);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/** Resolves symlinks of the longest part of `target` that exists, so a linked parent cannot hide where it points. */
function realTarget(target) {
  const missing = [];
  let current = target;
  for (;;) {
    try {
      return path.join(fs.realpathSync(current), ...missing.reverse());
    } catch (err) {
      if (err.code !== "ENOENT") throw err;
      const parent = path.dirname(current);
      if (parent === current) return target;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

/**
 * The folders no script may claim, nor any folder that contains them: the repository, the workspace,
 * the runner's temp root, the working directory and the home folder (the filesystem root contains
 * them all).
 */
function protectedFolders(env) {
  return [REPOSITORY_ROOT, env.GITHUB_WORKSPACE, env.RUNNER_TEMP, process.cwd(), os.homedir()]
    .filter(Boolean)
    .map((p) => realTarget(path.resolve(p)));
}

class OutputFolder {
  /**
   * Claims `folder` for `owner` (the script's name, recorded in the manifest).
   * Throws OutputFolderError, naming the folder and the rule, when it may not.
   */
  constructor(folder, owner, env = process.env) {
    if (typeof folder !== "string" || folder.trim() === "" || folder.includes("\0")) {
      throw new OutputFolderError(`${owner}: the output folder ${JSON.stringify(folder)} is not a path`);
    }
    this.owner = owner;
    this.dir = realTarget(path.resolve(folder));
    for (const guarded of protectedFolders(env)) {
      if (within(this.dir, guarded)) {
        throw new OutputFolderError(
          `${owner}: refusing to write into ${this.dir}: it is or contains ${guarded}; give the script a folder of its own (e.g. $RUNNER_TEMP/mlstack/<name>)`,
        );
      }
    }
    this.manifestFile = path.join(this.dir, MANIFEST);
    let stat;
    try {
      stat = fs.lstatSync(this.dir);
    } catch (err) {
      if (err.code !== "ENOENT") throw err;
    }
    if (stat && !stat.isDirectory()) {
      throw new OutputFolderError(
        `${owner}: refusing to write into ${this.dir}: it exists and is not a folder`,
      );
    }
    if (!stat) fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.files = this.readManifest();
    if (this.files === undefined) {
      const present = fs.readdirSync(this.dir);
      if (present.length > 0) {
        throw new OutputFolderError(
          `${owner}: refusing to write into ${this.dir}: it holds ${present.length} entr${present.length === 1 ? "y" : "ies"} (${present.slice(0, 3).join(", ")}) that no mlstack CI script wrote; use a new or empty folder`,
        );
      }
      this.files = new Set();
      this.saveManifest();
    }
  }

  readManifest() {
    let text;
    try {
      if (!fs.lstatSync(this.manifestFile).isFile()) return undefined;
      text = fs.readFileSync(this.manifestFile, "utf8");
    } catch (err) {
      if (err.code === "ENOENT") return undefined;
      throw err;
    }
    let document;
    try {
      document = JSON.parse(text);
    } catch {
      document = undefined;
    }
    if (!document || !Array.isArray(document.files) || !document.files.every((f) => typeof f === "string")) {
      throw new OutputFolderError(`${this.owner}: ${this.manifestFile} is not an mlstack outputs manifest`);
    }
    return new Set(document.files);
  }

  saveManifest() {
    this.atomicWrite(
      this.manifestFile,
      JSON.stringify({ files: [...this.files].sort() }, null, 2) + "\n",
      0o600,
    );
  }

  /** The absolute path of `name` inside the folder; throws when the name would leave it. */
  resolve(name) {
    if (typeof name !== "string" || name === "" || name.includes("\0") || path.isAbsolute(name)) {
      throw new OutputFolderError(
        `${this.owner}: ${JSON.stringify(name)} is not a file name inside ${this.dir}`,
      );
    }
    const parts = name.split(/[\\/]+/);
    if (parts.some((p) => p === ".." || p === "." || p === "") || name === MANIFEST) {
      throw new OutputFolderError(
        `${this.owner}: refusing the file name ${JSON.stringify(name)}: it must stay inside ${this.dir} (no "..", ".", empty parts or the manifest)`,
      );
    }
    const target = path.join(this.dir, ...parts);
    // Every existing part on the way must be a real folder (the last one a regular file): no symlink
    // may carry the write somewhere else.
    let current = this.dir;
    for (const [i, part] of parts.entries()) {
      current = path.join(current, part);
      let stat;
      try {
        stat = fs.lstatSync(current);
      } catch (err) {
        if (err.code === "ENOENT") break;
        throw err;
      }
      const last = i === parts.length - 1;
      if (stat.isSymbolicLink() || (last ? !stat.isFile() : !stat.isDirectory())) {
        throw new OutputFolderError(
          `${this.owner}: refusing to write ${JSON.stringify(name)}: ${current} is a ${stat.isSymbolicLink() ? "symlink" : "special file"}`,
        );
      }
    }
    return { target, relative: parts.join("/") };
  }

  atomicWrite(target, content, mode) {
    const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${crypto.randomUUID()}.tmp`);
    try {
      fs.writeFileSync(temporary, content, { mode, flag: "wx" });
      fs.renameSync(temporary, target);
    } catch (err) {
      fs.rmSync(temporary, { force: true });
      throw err;
    }
  }

  /** Writes `content` to `name` (a path relative to the folder), replacing only a file this guard wrote. */
  write(name, content, mode = 0o644) {
    const { target, relative } = this.resolve(name);
    if (fs.existsSync(target) && !this.files.has(relative)) {
      throw new OutputFolderError(
        `${this.owner}: refusing to replace ${target}: no mlstack CI script wrote it`,
      );
    }
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    this.atomicWrite(target, content, mode);
    this.files.add(relative);
    this.saveManifest();
    return target;
  }

  /** Deletes `name` if this guard wrote it; refuses anything else. */
  remove(name) {
    const { target, relative } = this.resolve(name);
    if (!this.files.has(relative)) {
      throw new OutputFolderError(
        `${this.owner}: refusing to delete ${target}: no mlstack CI script wrote it`,
      );
    }
    fs.rmSync(target, { force: true });
    this.files.delete(relative);
    this.saveManifest();
  }
}

module.exports = { MANIFEST, OutputFolder, OutputFolderError };
