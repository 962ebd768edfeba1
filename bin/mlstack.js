#!/usr/bin/env node
// The `mlstack` command. The project is TypeScript; this entry registers SWC as a require hook
// (transpile only: `npm test` type-checks) and hands over to cli/main.ts.
"use strict";
const path = require("path");
const fs = require("fs");
const swc = require("@swc/core");

const root = path.resolve(__dirname, "..");
const options = {
  jsc: { parser: { syntax: "typescript" }, target: "es2022" },
  module: { type: "commonjs" },
  sourceMaps: "inline",
};
require.extensions[".ts"] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, "utf8");
  const { code } = swc.transformSync(source, { ...options, filename });
  module._compile(code, filename);
};

require(path.join(root, "cli", "main.ts"))
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    process.stderr.write(`mlstack: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 2;
  });
