/**
 * A Kubernetes or OpenShift stack must not load the AWS or GCP SDKs: they cost seconds and
 * gigabytes. Runs in its own file so no other test has loaded them first.
 */
import * as path from "path";
import { planStack } from "../../cli/plan";

const ROOT = path.resolve(__dirname, "../..");
const loadedFrom = (pkg: string) =>
  Object.keys(require.cache).filter((p) => p.includes(`${path.sep}@pulumi${path.sep}${pkg}${path.sep}`));

it.each(["dev", "staging"])(
  "plans the %s stack without loading @pulumi/aws or @pulumi/gcp",
  async (stack) => {
    const { resources } = await planStack(ROOT, stack);
    expect(resources.length).toBeGreaterThan(50);
    expect(loadedFrom("aws")).toEqual([]);
    expect(loadedFrom("gcp")).toEqual([]);
    expect(loadedFrom("kubernetes").length).toBeGreaterThan(0);
  },
  60_000,
);
