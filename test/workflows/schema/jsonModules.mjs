// Module hook: load `.json` files as JSON modules even when they are imported without
// `with { type: "json" }`. @actions/workflow-parser imports its schemas that way (it is built for
// bundlers), which plain Node refuses.
import { readFile } from "node:fs/promises";

export async function load(url, context, nextLoad) {
  if (url.startsWith("file:") && url.endsWith(".json")) {
    return { format: "json", source: await readFile(new URL(url), "utf8"), shortCircuit: true };
  }
  return nextLoad(url, context);
}
