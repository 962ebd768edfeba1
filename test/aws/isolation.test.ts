import { existsSync, readFileSync, readdirSync, statSync } from "fs";
import { dirname, join, relative } from "path";

const ROOT = join(__dirname, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** Files allowed to load the AWS SDK: the AWS target's module and the AWS implementation files. */
const AWS_FILE = /^(stacks\/aws\/|components\/[a-z]+\/(aws|msk|rds|s3|irsa)[A-Za-z]*\.ts$)/;

/** Every project file a module loads at run time (relative imports that are not `import type`). */
function runtimeImports(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/^(?:import|export)(?! type)[^;]*?from "(\.[^"]+)"/gms)) {
      const target = join(dirname(file), match[1]);
      const candidates = [`${target}.ts`, join(target, "index.ts")];
      const found = candidates.find((candidate) => existsSync(candidate));
      if (found) visit(found);
    }
  };
  visit(entry);
  return [...seen];
}

describe("the AWS SDK stays behind the AWS target", () => {
  it("is imported only by AWS implementation files and stacks/aws", () => {
    const offenders = [...sources(join(ROOT, "components")), ...sources(join(ROOT, "stacks"))]
      .map((file) => relative(ROOT, file))
      .filter((file) =>
        /from "@pulumi\/aws"|require\("@pulumi\/aws"\)/.test(readFileSync(join(ROOT, file), "utf8")),
      )
      .filter((file) => !AWS_FILE.test(file));
    expect(offenders).toEqual([]);
  });

  it("is not reachable from config validation", () => {
    // Config imports the components' settings types and the shared Kubernetes grammar (imports
    // point down); what matters is that nothing it loads at run time loads the AWS SDK.
    const reached = runtimeImports(join(ROOT, "stacks", "config", "aws.ts"));
    expect(reached.length).toBeGreaterThan(1);
    const loadingAws = reached.filter((file) =>
      /from "@pulumi\/aws"|require\("@pulumi\/aws"\)/.test(readFileSync(file, "utf8")),
    );
    expect(loadingAws.map((file) => relative(ROOT, file))).toEqual([]);
  });
});
