import { readFileSync, readdirSync, statSync } from "fs";
import { join, relative } from "path";

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
    const config = readFileSync(join(ROOT, "stacks", "config", "aws.ts"), "utf8");
    expect(config).not.toMatch(/@pulumi\/aws|components\//);
  });
});
