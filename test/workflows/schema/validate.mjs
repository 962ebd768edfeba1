// Validates workflow and composite-action files with @actions/workflow-parser, GitHub's own parser
// and schema for Actions files (the one behind the Actions language service). Run by
// test/workflows/workflows.hygiene.test.ts in its own Node process, since the parser is an ES module:
//
//   node validate.mjs FILE...   → prints { "<file>": ["<error>", …], … } as JSON
//
// Files named action.yml / action.yaml are checked against the action schema, all others against
// the workflow schema; workflows are also converted, which resolves `needs`, matrices and reusable
// workflow calls.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { register } from "node:module";

register("./jsonModules.mjs", import.meta.url);
const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } =
  await import("@actions/workflow-parser");
const { parseAction } = await import("@actions/workflow-parser/actions/action-parser");

const results = {};
for (const file of process.argv.slice(2)) {
  const content = readFileSync(file, "utf8");
  const entry = { name: file, content };
  const trace = new NoOperationTraceWriter();
  const errors = [];
  if (/^action\.ya?ml$/.test(basename(file))) {
    errors.push(
      ...parseAction(entry, trace)
        .context.errors.getErrors()
        .map((e) => e.message),
    );
  } else {
    const parsed = parseWorkflow(entry, trace);
    errors.push(...parsed.context.errors.getErrors().map((e) => e.message));
    if (parsed.value) {
      const template = await convertWorkflowTemplate(parsed.context, parsed.value);
      for (const e of template.errors ?? []) if (!errors.includes(e.Message)) errors.push(e.Message);
    }
  }
  results[file] = errors;
}
process.stdout.write(JSON.stringify(results));
