// `pulumi up` runs this file: the dashboard, in the team namespace the platform stack names.
import * as pulumi from "@pulumi/pulumi";
import { scoresDashboard } from "./app";

const config = new pulumi.Config();
export = scoresDashboard({
  platformStack: config.require("platformStack"),
  team: config.require("team"),
  workload: config.require("workload"),
});
