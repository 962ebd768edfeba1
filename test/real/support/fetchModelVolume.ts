/**
 * The fetch-model step's ConfigMap volume (components/serving/modelFetch.ts) in a pod sandbox: its
 * files written to a folder read-only to the pod's user, standing in for the kubelet's ConfigMap
 * volume, so the rendered initContainer runs the program mlstack ships.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fetchModelConfigMapData } from "../../../components/serving/modelFetch";
import type { PodSandbox } from "./podProcesses";

export function mountFetchProgram(sandbox: PodSandbox): void {
  const dir = path.join(sandbox.root, "volumes", "fetch-model");
  fs.mkdirSync(dir, { recursive: true });
  // Explicit modes: the test runner's umask may be stricter than the kubelet's 0755 / 0444.
  fs.chmodSync(dir, 0o755);
  for (const [file, text] of Object.entries(fetchModelConfigMapData())) {
    fs.writeFileSync(path.join(dir, file), text);
    fs.chmodSync(path.join(dir, file), 0o444);
  }
  sandbox.volumes.set("fetch-model", dir);
}
