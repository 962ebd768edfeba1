/**
 * The Pulumi program of this repository's stacks: `pulumi up` runs this file (`main:` in
 * Pulumi.yaml), `mlstack plan` runs the same `main` under Pulumi's mock runtime. It is the only
 * module with a side effect on load; the package entries (`mlstack`, `mlstack/kubernetes`, …)
 * register nothing when imported.
 */
import { main } from "./index";

export = main();
