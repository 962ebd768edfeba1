import {
  OPERATORS_QUOTA,
  PlatformOperators,
  PlatformOperatorsArgs,
  chartVersion,
  validatePlatformOperatorsArgs,
} from "../../../components/operators/PlatformOperators";
import { render } from "../../support/render";
import { operatorsConfig, operatorArgs, openshiftArgs } from "./operatorsRender";

describe("chartVersion", () => {
  it("strips or adds the v each project's tags use", () => {
    expect(chartVersion("v0.49.0", false)).toBe("0.49.0");
    expect(chartVersion("0.49.0", false)).toBe("0.49.0");
    expect(chartVersion("0.16.0", true)).toBe("v0.16.0");
    expect(chartVersion("v0.16.0", true)).toBe("v0.16.0");
  });
});

describe("PlatformOperators refuses bad input before registering anything", () => {
  const ops = operatorsConfig();
  const refusals: Array<[string, PlatformOperatorsArgs, string]> = [
    [
      "operators the config says are already installed",
      operatorArgs({ operators: { ...ops, install: false } }),
      "operators.install false says the operators are already on the cluster",
    ],
    [
      "nothing to install",
      operatorArgs({ strimzi: false, cloudnativePg: false, kserve: false }),
      "there is nothing to install",
    ],
    [
      "Strimzi with no namespace to watch",
      operatorArgs({ watchNamespaces: [] }),
      "watchNamespaces [] is empty",
    ],
    [
      "a watched namespace that is not a DNS label",
      operatorArgs({ watchNamespaces: ["Platform"] }),
      'watchNamespaces[0] "Platform"',
    ],
    [
      "a namespace watched twice",
      operatorArgs({ watchNamespaces: ["a", "a"] }),
      'watchNamespaces[1] "a" is listed twice',
    ],
    [
      "watching the operators' own namespace",
      operatorArgs({ watchNamespaces: ["ml-dev-operators"] }),
      "includes the operators namespace",
    ],
    ["no API server CIDR", operatorArgs({ apiServerCidrs: [] }), "apiServerCidrs [] is empty"],
    [
      "an API server CIDR out of range",
      operatorArgs({ apiServerCidrs: ["10.0.0.300/24"] }),
      'apiServerCidrs[0] "10.0.0.300/24" is not a CIDR block',
    ],
    [
      "an API server CIDR with a bad prefix",
      operatorArgs({ apiServerCidrs: ["10.0.0.0/33"] }),
      "apiServerCidrs[0]",
    ],
    [
      "an API server address without prefix",
      operatorArgs({ apiServerCidrs: ["10.0.0.1"] }),
      "apiServerCidrs[0]",
    ],
    [
      "a reserved operators namespace",
      operatorArgs({ operators: { ...ops, namespace: "kube-system" } }),
      'namespace "kube-system" is reserved',
    ],
    [
      "a malformed chart version",
      operatorArgs({ operators: { ...ops, strimzi: { version: "latest", channel: "stable" } } }),
      'operators.strimzi.version "latest" is not a chart version',
    ],
    [
      "a malformed OLM channel",
      openshiftArgs({ operators: { ...ops, cloudnativePg: { version: "0.26.1", channel: "Stable V1" } } }),
      'operators.cloudnativePg.channel "Stable V1"',
    ],
    [
      "a malformed catalog source",
      openshiftArgs({ olm: { strimzi: { source: "Red Hat" } } }),
      'olm.strimzi.source "Red Hat" is not a catalog name',
    ],
    [
      "a malformed starting CSV",
      openshiftArgs({ olm: { cloudnativePg: { startingCSV: "CNPG 1.27" } } }),
      "olm.cloudnativePg.startingCSV",
    ],
    ["a malformed quota", operatorArgs({ quota: { ...OPERATORS_QUOTA, cpu: "four" } }), 'quota.cpu "four"'],
    [
      "an OpenShift AI component the DataScienceCluster v1 API does not have",
      openshiftArgs({ kserve: true, operators: { ...ops, openshiftAi: { notebooks: "Managed" } } }),
      'operators.openshiftAi.notebooks "Managed" is not an OpenShift AI component',
    ],
    [
      "an OpenShift AI management state other than Managed or Removed",
      openshiftArgs({ kserve: true, operators: { ...ops, openshiftAi: { dashboard: "Unmanaged" } } }),
      'operators.openshiftAi.dashboard "Unmanaged" is not one of Managed, Removed',
    ],
  ];
  it.each(refusals)("refuses %s", async (_what, args, message) => {
    expect(() => validatePlatformOperatorsArgs("ops", args)).toThrow(message);
    const r = await render(() => {
      expect(() => new PlatformOperators("ops", args)).toThrow(message);
    });
    expect(r.resources.map((x) => x.type)).toEqual(["pulumi:pulumi:Stack"]);
  });

  it("ignores versions it does not install and channels on Kubernetes", () => {
    const kserveVersionless = { ...ops, kserve: { version: "n/a", channel: "Not A Channel" } };
    expect(() =>
      validatePlatformOperatorsArgs("ops", operatorArgs({ operators: kserveVersionless })),
    ).not.toThrow();
  });

  it("names the component in the message", () => {
    expect(() => validatePlatformOperatorsArgs("ops", operatorArgs({ watchNamespaces: [] }))).toThrow(
      /^PlatformOperators ops: /,
    );
  });
});
