/**
 * Where in `Pulumi.<stack>.yaml` a finding comes from, so SARIF from `mlstack plan` annotates the
 * file a reviewer changes (and code scanning can place it on the pull request's diff), not the
 * generated `out/<stack>/plan.json`:
 *
 * 1. the line of the `name:` in the config that the resource or one of its parent components is
 *    named after (a model's `name: fraud-detector` for `model-fraud-detector-deployment`, a
 *    team's `name: payments-risk` for its namespace objects): the innermost resource first, and
 *    within a resource name the longest run of its `-`-separated words that is such a name;
 * 2. else the line of a config key the finding's message names (`mlstack:mlflow …`);
 * 3. else line 1 of the stack file.
 */
import * as YAML from "yaml";

export interface StackFileLocator {
  /** Line (1-based) for a resource with these names (its own first, then its parents outwards). */
  lineFor(names: readonly string[], message: string): number;
  /** Line of a top-level config key (`mlstack:objectStore`), if the stack file sets it. */
  lineOfKey(configKey: string): number | undefined;
}

export function stackFileLocator(text: string): StackFileLocator {
  const lineCounter = new YAML.LineCounter();
  const keyLines = new Map<string, number>();
  const nameLines = new Map<string, number>();
  try {
    const doc = YAML.parseDocument(text, { lineCounter, uniqueKeys: false });
    const lineAt = (node: { range?: [number, number, number] | null } | null | undefined) =>
      node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    const config = doc.get("config", true);
    if (YAML.isMap(config)) {
      for (const pair of config.items) {
        if (!YAML.isScalar(pair.key)) continue;
        const keyLine = lineAt(pair.key);
        if (keyLine) keyLines.set(String(pair.key.value), keyLine);
        YAML.visit(pair.value as YAML.Node, {
          Pair(_, item) {
            if (!YAML.isScalar(item.key) || item.key.value !== "name" || !YAML.isScalar(item.value)) return;
            const line = lineAt(item.value);
            const value = item.value.value;
            if (line && typeof value === "string" && !nameLines.has(value)) nameLines.set(value, line);
          },
        });
      }
    }
  } catch {
    // an unreadable stack file never reaches the plan; nothing to locate
  }
  return {
    lineOfKey: (configKey) => keyLines.get(configKey),
    lineFor(names, message) {
      for (const name of names) {
        const words = name.split("-");
        for (let length = words.length; length > 0; length--) {
          for (let start = 0; start + length <= words.length; start++) {
            const line = nameLines.get(words.slice(start, start + length).join("-"));
            if (line) return line;
          }
        }
      }
      for (const [key, line] of keyLines) if (message.includes(key)) return line;
      return 1;
    },
  };
}
