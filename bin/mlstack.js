#!/usr/bin/env node
// The `mlstack` command. In a checkout the project is TypeScript: this entry registers SWC as a
// require hook (transpile only: `npm test` type-checks) and hands over to cli/main.ts. The installed
// package ships no TypeScript sources: there it runs the build (dist/cli/main.js), without SWC.
"use strict";
// A larger young generation: a plan allocates many short-lived objects (one Output per resource
// property), and the default 16 MiB semi-space makes the scavenger run hundreds of times.
require("v8").setFlagsFromString("--max-semi-space-size=32");
const path = require("path");
const fs = require("fs");

const root = path.resolve(__dirname, "..");
const fromSources = fs.existsSync(path.join(root, "cli", "main.ts"));
const cli = fromSources ? path.join(root, "cli") : path.join(root, "dist", "cli");
const ext = fromSources ? ".ts" : ".js";
if (fromSources) registerTypeScript();

function registerTypeScript() {
  const swc = require("@swc/core");
  const options = {
    jsc: { parser: { syntax: "typescript" }, target: "es2022" },
    module: { type: "commonjs" },
    sourceMaps: "inline",
  };
  // Transpiled files are cached by path, size and mtime (and the SWC version): a plan loads ~150
  // project files, and transpiling them all again on every run costs a few hundred milliseconds.
  const crypto = require("crypto");
  const cacheDir = path.join(root, "node_modules", ".cache", "mlstack-swc");
  const cacheSalt = `${require("@swc/core/package.json").version}:${JSON.stringify(options)}`;
  let cacheUsable = true;
  function transpile(filename) {
    const stat = fs.statSync(filename);
    const key = crypto
      .createHash("sha1")
      .update(`${cacheSalt}:${filename}:${stat.size}:${stat.mtimeMs}`)
      .digest("hex");
    const cached = path.join(cacheDir, `${key}.js`);
    if (cacheUsable) {
      try {
        return fs.readFileSync(cached, "utf8");
      } catch {
        // not cached yet
      }
    }
    const { code } = swc.transformSync(fs.readFileSync(filename, "utf8"), { ...options, filename });
    if (cacheUsable) {
      try {
        fs.mkdirSync(cacheDir, { recursive: true });
        fs.writeFileSync(`${cached}.${process.pid}`, code);
        fs.renameSync(`${cached}.${process.pid}`, cached);
      } catch {
        cacheUsable = false; // read-only checkout: transpile every time
      }
    }
    return code;
  }
  require.extensions[".ts"] = function compileTypeScript(module, filename) {
    module._compile(transpile(filename), filename);
  };
}

// `mlstack check … | head -1`: a reader that goes away ends the output quietly, not with a trace.
const { guardBrokenPipe } = require(path.join(cli, "commandLine", `brokenPipe${ext}`));
guardBrokenPipe(process.stdout);
guardBrokenPipe(process.stderr);

require(path.join(cli, `main${ext}`))
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    // Every expected refusal is handled by its command (exit 2, one message). Anything reaching
    // here is a bug: say so in one line; MLSTACK_DEBUG=1 shows where.
    const detail = process.env.MLSTACK_DEBUG ? (err && err.stack) || err : (err && err.message) || err;
    process.stderr.write(
      `mlstack: internal error: ${detail}${process.env.MLSTACK_DEBUG ? "" : " (MLSTACK_DEBUG=1 shows the stack trace)"}\n`,
    );
    process.exitCode = 2;
  });
