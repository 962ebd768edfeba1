/**
 * Tests are transpiled (not type-checked) by SWC so the suite stays fast;
 * `npm run typecheck` type-checks the whole tree once against the real provider SDKs.
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  // The real-process layer has its own config (jest.real.config.js) and runs after this one.
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/real/"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } },
    ],
  },
  moduleFileExtensions: ["ts", "js", "json"],
  // @pulumi/pulumi's runtime loads its closure serializer and code-path packager eagerly (the
  // TypeScript compiler, npm's Arborist, sigstore, tar: 1 to 3 s per test file, as every file loads
  // the SDK afresh). mlstack calls neither; under the unit tests they are a stub that throws if
  // called (test/support/pulumiClosureStub.js). `mlstack plan` skips them too (cli/plan/pulumiClosure.ts);
  // a program run by the Pulumi CLI loads the real ones.
  moduleNameMapper: {
    "^\\./closure/(serializeClosure|codePaths)$": "<rootDir>/test/support/pulumiClosureStub.js",
  },
  // The time limit, set per test file so it holds in a multi-project run too (jest.all.config.js).
  setupFilesAfterEnv: ["<rootDir>/test/support/unitTimeout.js"],
  // Jest's default is cores - 1, one worker on this project's two-core machines: the suites are
  // independent (each writes under its own temp folder), so both cores run them.
  maxWorkers: 2,
  // Every run writes its temp files under one folder that is removed afterwards (test/support/tempRoot.js).
  globalSetup: "<rootDir>/test/support/tempRootSetup.js",
  globalTeardown: "<rootDir>/test/support/tempRootTeardown.js",
};
