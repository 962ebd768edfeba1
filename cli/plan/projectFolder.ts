/**
 * The Pulumi project `mlstack plan` renders: the folder holding `Pulumi.yaml`, looked for in the
 * current folder and then each folder above it, as the Pulumi CLI finds its project
 * (`DetectProjectPathFrom` in pulumi/pulumi `sdk/go/common/workspace/paths.go`). Never the folder
 * mlstack is installed in: a project that installed mlstack (node_modules/mlstack) plans its own
 * stack files, and in this repository `npm run plan` starts at the repository root.
 */
import * as fs from "fs";
import * as path from "path";

export const PROJECT_FILE = "Pulumi.yaml";

/** No `Pulumi.yaml` in the folder or above it: the plan has no project to render (exit 2). */
export class ProjectNotFoundError extends Error {}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The nearest folder at or above `start` with a `Pulumi.yaml`; throws ProjectNotFoundError. */
export function findProjectFolder(start: string): string {
  const from = path.resolve(start);
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (isFile(path.join(dir, PROJECT_FILE))) return dir;
    if (path.dirname(dir) === dir) break;
  }
  throw new ProjectNotFoundError(
    `no ${PROJECT_FILE} in ${from} or any folder above it; run mlstack plan inside a Pulumi project (the folder with ${PROJECT_FILE} and its Pulumi.<stack>.yaml files)`,
  );
}
