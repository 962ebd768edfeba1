/**
 * Fills the real-process layer's caches ahead of the tests: `.ci/run` starts this in the
 * background right after `npm ci`, so on a cold machine the Python environments, the Kafka jars
 * and the two Go builds (kube-apiserver + etcd, SeaweedFS) run while lint, type-check and the unit
 * suite run, instead of one after another inside the real layer. Each cache is the one the tests
 * use, built through the same function under the same lock (buildOnce.ts): a test that needs a
 * cache still being built here waits for it, and one this process never reached (it failed, or
 * was stopped) builds it itself. On a warm machine every step finds its `.complete` marker and
 * the whole run takes well under a second.
 *
 *   node -r ts-node/register/transpile-only test/real/support/prebuild.ts [python|go]...
 *
 * With no argument, both chains run one after the other; `.ci/run` starts one process per chain,
 * so the pip and Maven downloads overlap the Go compiles.
 */
import { kafkaJars } from "./kafka";
import { ensureKubeBinaries } from "./kubeBinaries";
import { mlflowImageEnv } from "./mlflowImageEnv";
import { mlserverImageEnv } from "./mlserverEnv";
import { orchestratorEnv } from "./orchestratorEnv";
import { motoEnv } from "./s3";
import { ensureWeed } from "./seaweedfs";

const CHAINS: Record<string, Array<[string, () => unknown]>> = {
  // Every real test file needs one of these first; the MLflow image's environment most of all.
  python: [
    ["MLflow image environment", mlflowImageEnv],
    ["moto S3 server environment", motoEnv],
    ["Kafka broker jars", () => kafkaJars()],
    ["MLServer image environment", mlserverImageEnv],
    ["Prefect environment", orchestratorEnv],
  ],
  // The longest builds on a cold machine (kube-apiserver: tens of minutes of compiling).
  go: [
    ["kube-apiserver and etcd", () => ensureKubeBinaries()],
    ["SeaweedFS", () => ensureWeed()],
  ],
};

function main(argv: string[]): number {
  const names = argv.length > 0 ? argv : Object.keys(CHAINS);
  const unknown = names.filter((n) => !(n in CHAINS));
  if (unknown.length > 0) {
    process.stderr.write(
      `prebuild: unknown chain ${unknown.join(", ")}; allowed: ${Object.keys(CHAINS).join(", ")}\n`,
    );
    return 2;
  }
  let failed = 0;
  for (const name of names) {
    for (const [what, build] of CHAINS[name]) {
      const started = Date.now();
      try {
        build();
        process.stdout.write(
          `prebuild ${name}: ${what} ready in ${Math.round((Date.now() - started) / 1000)} s\n`,
        );
      } catch (error) {
        // The tests build it again and fail there with the same message, where it is read.
        failed += 1;
        process.stdout.write(
          `prebuild ${name}: ${what} failed: ${(error as Error).message.split("\n")[0]}\n`,
        );
      }
    }
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
