import * as pulumi from "@pulumi/pulumi";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1";
import type { PlatformContext } from "../../../components/context";
import { Exposure, ExposureArgs, validateExposureArgs } from "../../../components/exposure/Exposure";
import { render } from "../../support/render";

const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const ROUTE = "kubernetes:route.openshift.io/v1:Route";

function ctx(flavor: "kubernetes" | "openshift" = "kubernetes"): PlatformContext {
  return {
    environment: "dev",
    target: flavor,
    flavor,
    protect: false,
    highAvailability: false,
    project: "mlstack",
    stack: "test",
  };
}

function exposureArgs(overrides: Partial<ExposureArgs> = {}): ExposureArgs {
  return {
    ctx: ctx(),
    name: "fraud-detector",
    namespace: "ml-dev-fraud",
    serviceName: "fraud-detector",
    servicePortName: "http",
    hostname: "fraud-detector.ml.example.com",
    backendTls: false,
    tls: { clusterIssuer: "letsencrypt" },
    ingressClassName: "nginx",
    team: "fraud",
    ...overrides,
  };
}

function renderExposure(args: ExposureArgs = exposureArgs()) {
  let url: pulumi.Output<string> | undefined;
  return render(() => {
    url = new Exposure("model-fraud-detector-exposure", args).url;
  }).then(async (r) => ({
    r,
    url: await new Promise<string>((resolve) => (url as pulumi.Output<string>).apply(resolve)),
  }));
}

describe("Exposure", () => {
  describe("on Kubernetes", () => {
    it("publishes the service port at the host through an Ingress of the configured class", async () => {
      const { r } = await renderExposure();
      const ingress = r.inputs(r.one(INGRESS));
      expect(ingress.metadata).toMatchObject({ name: "fraud-detector", namespace: "ml-dev-fraud" });
      expect(ingress.spec.ingressClassName).toBe("nginx");
      expect(ingress.spec.rules).toEqual([
        {
          host: "fraud-detector.ml.example.com",
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: "fraud-detector", port: { name: "http" } } },
              },
            ],
          },
        },
      ]);
    });

    it("addresses a numbered port by number", async () => {
      const { r } = await renderExposure(exposureArgs({ servicePortName: undefined, servicePort: 8080 }));
      expect(r.inputs(r.one(INGRESS)).spec.rules[0].http.paths[0].backend.service.port).toEqual({
        number: 8080,
      });
    });

    it("asks cert-manager's ClusterIssuer for a certificate in a Secret named after the exposure", async () => {
      const { r } = await renderExposure();
      const ingress = r.inputs(r.one(INGRESS));
      expect(ingress.metadata.annotations["cert-manager.io/cluster-issuer"]).toBe("letsencrypt");
      expect(ingress.spec.tls).toEqual([
        { hosts: ["fraud-detector.ml.example.com"], secretName: "fraud-detector-tls" },
      ]);
    });

    it("prefers the issuer when both an issuer and a Secret are configured", async () => {
      const { r } = await renderExposure(
        exposureArgs({ tls: { clusterIssuer: "letsencrypt", secretName: "wildcard" } }),
      );
      expect(r.inputs(r.one(INGRESS)).spec.tls[0].secretName).toBe("fraud-detector-tls");
    });

    it("uses the existing TLS Secret when no issuer is set", async () => {
      const { r } = await renderExposure(exposureArgs({ tls: { secretName: "ml-wildcard-tls" } }));
      const ingress = r.inputs(r.one(INGRESS));
      expect(ingress.spec.tls).toEqual([
        { hosts: ["fraud-detector.ml.example.com"], secretName: "ml-wildcard-tls" },
      ]);
      expect(ingress.metadata.annotations).not.toHaveProperty("cert-manager.io/cluster-issuer");
    });

    it("redirects plain HTTP to HTTPS", async () => {
      const { r } = await renderExposure();
      expect(
        r.inputs(r.one(INGRESS)).metadata.annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"],
      ).toBe("true");
    });

    it("talks HTTPS to a backend that serves TLS, and plain HTTP otherwise", async () => {
      const protocol = async (backendTls: boolean) => {
        const { r } = await renderExposure(exposureArgs({ backendTls }));
        return r.inputs(r.one(INGRESS)).metadata.annotations["nginx.ingress.kubernetes.io/backend-protocol"];
      };
      expect(await protocol(true)).toBe("HTTPS");
      expect(await protocol(false)).toBeUndefined();
    });

    it("creates no Route", async () => {
      const { r } = await renderExposure();
      expect(r.ofType(ROUTE)).toHaveLength(0);
    });

    it("renders an Ingress that validates against the Kubernetes OpenAPI schema", async () => {
      const { r } = await renderExposure();
      expect(() => new Ingress(r.inputs(r.one(INGRESS)) as never).validate()).not.toThrow();
    });
  });

  describe("on OpenShift", () => {
    const openshift = (overrides: Partial<ExposureArgs> = {}) =>
      exposureArgs({ ctx: ctx("openshift"), ...overrides });

    it("publishes the service port at the host through a Route", async () => {
      const { r } = await renderExposure(openshift());
      const route = r.inputs(r.one(ROUTE));
      expect(route.apiVersion).toBe("route.openshift.io/v1");
      expect(route.kind).toBe("Route");
      expect(route.metadata).toMatchObject({ name: "fraud-detector", namespace: "ml-dev-fraud" });
      expect(route.spec).toMatchObject({
        host: "fraud-detector.ml.example.com",
        to: { kind: "Service", name: "fraud-detector", weight: 100 },
        port: { targetPort: "http" },
        wildcardPolicy: "None",
      });
      expect(r.ofType(INGRESS)).toHaveLength(0);
    });

    it("terminates TLS at the edge and redirects plain HTTP", async () => {
      const { r } = await renderExposure(openshift());
      expect(r.inputs(r.one(ROUTE)).spec.tls).toEqual({
        termination: "edge",
        insecureEdgeTerminationPolicy: "Redirect",
      });
    });

    it("re-encrypts to a backend holding a service-serving certificate", async () => {
      const { r } = await renderExposure(openshift({ backendTls: true }));
      expect(r.inputs(r.one(ROUTE)).spec.tls).toEqual({
        termination: "reencrypt",
        insecureEdgeTerminationPolicy: "Redirect",
      });
    });

    it("sends HSTS", async () => {
      const { r } = await renderExposure(openshift());
      expect(r.inputs(r.one(ROUTE)).metadata.annotations["haproxy.router.openshift.io/hsts_header"]).toBe(
        "max-age=31536000",
      );
    });

    it("asks cert-manager's openshift-routes controller for a certificate from the ClusterIssuer", async () => {
      const { r } = await renderExposure(openshift());
      expect(r.inputs(r.one(ROUTE)).metadata.annotations).toMatchObject({
        "cert-manager.io/issuer-name": "letsencrypt",
        "cert-manager.io/issuer-kind": "ClusterIssuer",
        "cert-manager.io/issuer-group": "cert-manager.io",
      });
    });

    it("warns that a Route cannot use a configured TLS Secret", async () => {
      const warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
      try {
        await renderExposure(openshift({ tls: { secretName: "ml-wildcard-tls" } }));
        expect(warn).toHaveBeenCalledWith(
          expect.stringContaining("a Route cannot reference the TLS Secret ml-wildcard-tls"),
          expect.anything(),
        );
        warn.mockClear();
        await renderExposure(openshift());
        expect(warn).not.toHaveBeenCalled();
      } finally {
        warn.mockRestore();
      }
    });

    it("serves the router's default certificate when no issuer is set, and needs no Secret", async () => {
      const { r } = await renderExposure(openshift({ tls: {} }));
      const route = r.inputs(r.one(ROUTE));
      expect(route.metadata.annotations).not.toHaveProperty("cert-manager.io/issuer-name");
      expect(route.spec.tls.termination).toBe("edge");
    });
  });

  it("returns the https URL of the host", async () => {
    expect((await renderExposure()).url).toBe("https://fraud-detector.ml.example.com");
    expect((await renderExposure(exposureArgs({ ctx: ctx("openshift") }))).url).toBe(
      "https://fraud-detector.ml.example.com",
    );
  });

  it("labels the object with the platform labels and any extra ones", async () => {
    const { r } = await renderExposure(exposureArgs({ labels: { "example.com/cost-center": "ml" } }));
    expect(r.inputs(r.one(INGRESS)).metadata.labels).toMatchObject({
      "app.kubernetes.io/name": "fraud-detector",
      "app.kubernetes.io/component": "exposure",
      "mlstack.io/team": "fraud",
      "mlstack.io/environment": "dev",
      "example.com/cost-center": "ml",
    });
  });

  it("parents the Ingress to the component", async () => {
    const { r } = await renderExposure();
    expect(r.one(INGRESS).parent).toBe(r.one("mlstack:exposure:Exposure").urn);
  });

  it("takes the port as an output of another component (checked by Kubernetes once known)", async () => {
    const { r } = await renderExposure(
      exposureArgs({ servicePortName: undefined, servicePort: pulumi.output(5000) }),
    );
    expect(r.inputs(r.one(INGRESS)).spec.rules[0].http.paths[0].backend.service.port).toEqual({
      number: 5000,
    });
  });

  describe("refuses bad input before registering anything", () => {
    const refusals: Array<[string, Partial<ExposureArgs>, string]> = [
      ["a name that is not a DNS label", { name: "Fraud" }, 'name "Fraud" is not a DNS label'],
      ["a team that is not a DNS label", { team: "a b" }, 'team "a b"'],
      [
        "a wildcard hostname",
        { hostname: "*.ml.example.com" },
        'hostname "*.ml.example.com" is not a fully qualified',
      ],
      ["a bare hostname", { hostname: "fraud" }, 'hostname "fraud"'],
      ["an uppercase hostname", { hostname: "Fraud.example.com" }, "hostname"],
      ["port 0", { servicePortName: undefined, servicePort: 0 }, "servicePort 0 is not a port number"],
      ["port 70000", { servicePortName: undefined, servicePort: 70000 }, "servicePort 70000"],
      ["a fractional port", { servicePortName: undefined, servicePort: 80.5 }, "servicePort 80.5"],
      ["a port name over 15 characters", { servicePortName: "a-very-long-port-name" }, "is not a port name"],
      [
        "a port name without a letter",
        { servicePortName: "8080" },
        'servicePortName "8080" is not a port name',
      ],
      [
        "both a port number and a port name",
        { servicePort: 8080 },
        'servicePort 8080 with servicePortName "http": set exactly one of servicePort (a port number) and servicePortName (a port name)',
      ],
      [
        "neither a port number nor a port name",
        { servicePortName: undefined },
        "servicePort undefined with servicePortName undefined: set exactly one of servicePort",
      ],
      ["a malformed ClusterIssuer", { tls: { clusterIssuer: "Lets Encrypt" } }, "tls.clusterIssuer"],
      ["a malformed Secret name", { tls: { secretName: "TLS_secret" } }, "tls.secretName"],
      ["a malformed IngressClass", { ingressClassName: "Nginx Class" }, "ingressClassName"],
      [
        "an Ingress with neither issuer nor Secret",
        { tls: {} },
        "names neither a cert-manager ClusterIssuer nor an existing TLS Secret",
      ],
    ];
    it.each(refusals)("refuses %s", async (_what, overrides, message) => {
      expect(() => validateExposureArgs("x", exposureArgs(overrides))).toThrow(message);
      const r = await render(() => {
        expect(() => new Exposure("x", exposureArgs(overrides))).toThrow(message);
      });
      expect(r.resources.map((x) => x.type)).toEqual(["pulumi:pulumi:Stack"]);
    });

    it("does not ask an OpenShift Route for an IngressClass", () => {
      expect(() =>
        validateExposureArgs("x", exposureArgs({ ctx: ctx("openshift"), ingressClassName: "", tls: {} })),
      ).not.toThrow();
    });

    it("tells the user which config keys fix a missing certificate", () => {
      expect(() => validateExposureArgs("x", exposureArgs({ tls: {} }))).toThrow(
        "set mlstack:ingress.clusterIssuer or mlstack:ingress.tlsSecretName",
      );
    });
  });
});
