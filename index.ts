/**
 * mlstack: a production ML platform on Kubernetes, OpenShift, AWS or GCP.
 * `pulumi up` runs this file; `mlstack plan` runs the same `main` under Pulumi's mock runtime.
 */
import { main } from "./stacks";

export = main();
