/** What the GCP target creates passes the mlstack-security pack: no mandatory violation, and no advisory one it could avoid. */
import { evaluate } from "../../policies/evaluate";
import { deploy } from "./deploy";
import { gcpConfig } from "./fixtures";

describe("the GCP backing services under the policy pack", () => {
  it.each(["prod", "dev"] as const)("raise no mandatory violation in %s", async (environment) => {
    const { r } = await deploy(gcpConfig(environment));
    const violations = evaluate(r.resources, { target: "gcp", environment });
    expect(
      violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy}: ${v.message}`),
    ).toEqual([]);
  });

  it("raises only the access-log bucket's own missing access log as advisory in prod", async () => {
    const { r } = await deploy(gcpConfig("prod"));
    const advisory = evaluate(r.resources, { target: "gcp", environment: "prod" }).filter(
      (v) => v.enforcementLevel === "advisory",
    );
    expect(advisory.map((v) => `${v.policy}: ${v.message}`)).toEqual([
      "gcp-gcs-versioning-logging: GCS bucket acme-ml-test-test-access-logs does not log access",
    ]);
  });
});
