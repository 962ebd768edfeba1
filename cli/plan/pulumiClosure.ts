/**
 * `mlstack plan` runs without Pulumi's closure serializer and code-path packager. @pulumi/pulumi's
 * runtime loads both eagerly (`runtime/index.js`: `./closure/serializeClosure`, which loads the
 * TypeScript compiler, and `./closure/codePaths`, which loads npm's Arborist, sigstore and tar):
 * ~0.4 s of CPU in every process that loads the SDK (measured with @pulumi/pulumi 3.270.0), a
 * tenth of a 100-model plan. They serialize callback functions (`pulumi.runtime.serializeFunction`,
 * dynamic providers) and package node_modules for them; a plan under the mock runtime does neither.
 *
 * `skipPulumiClosureModules` answers those two requires of the runtime with this module, whose
 * functions throw, naming it, if anything ever calls them. The `bench` floors install it too, so
 * they keep measuring what the plan cannot go below (cli/bench/README.md). The unit tests map the
 * same modules to test/support/pulumiClosureStub.js (jest.config.js).
 */
import * as path from "path";

function unavailable(name: string): () => never {
  return () => {
    throw new Error(
      `pulumi.runtime.${name} is not loaded by mlstack plan (cli/plan/pulumiClosure.ts); mlstack's program does not use it — if it now does, stop skipping it there`,
    );
  };
}

export const serializeFunction = unavailable("serializeFunction");
export const serializeFunctionAsync = unavailable("serializeFunctionAsync");
export const computeCodePaths = unavailable("computeCodePaths");

const SKIPPED = new Set(["./closure/serializeClosure", "./closure/codePaths"]);
const RUNTIME_INDEX = path.join("@pulumi", "pulumi", "runtime", "index.js");

type Resolve = (
  request: string,
  parent: { filename?: string | null } | undefined,
  ...rest: unknown[]
) => string;
let installed = false;

/** From now on, the SDK's runtime gets this module for its closure serializer and code paths. */
export function skipPulumiClosureModules(): void {
  if (installed) return;
  installed = true;
  const moduleApi = require("module") as { _resolveFilename: Resolve };
  const resolve = moduleApi._resolveFilename;
  moduleApi._resolveFilename = function resolveFilename(this: unknown, request, parent, ...rest) {
    if (SKIPPED.has(request) && parent?.filename?.endsWith(RUNTIME_INDEX)) return __filename;
    return resolve.call(this, request, parent, ...rest);
  };
}
