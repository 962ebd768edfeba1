/**
 * Stands in, under the unit tests only, for two modules that @pulumi/pulumi's runtime loads eagerly
 * and mlstack never calls: the closure serializer (`pulumi.runtime.serializeFunction`, for
 * Lambda-style callback functions; it loads the TypeScript compiler) and `computeCodePaths` (for
 * packaging a program's node_modules; it loads npm's Arborist, sigstore and tar). Loading them
 * took 1 to 3 s in every test file, each of which loads the SDK afresh in its own module registry.
 * A call to any of them fails the test, naming this file, rather than doing less than the SDK
 * would: a test that needs one must run without this mapping (jest.config.js).
 */
function unavailable(name) {
  return () => {
    throw new Error(
      `pulumi.runtime.${name} is not loaded under the unit tests (test/support/pulumiClosureStub.js, mapped in jest.config.js); mlstack does not use it — if it now does, drop the mapping`,
    );
  };
}

module.exports = {
  serializeFunction: unavailable("serializeFunction"),
  serializeFunctionAsync: unavailable("serializeFunctionAsync"),
  computeCodePaths: unavailable("computeCodePaths"),
};
