import { validateObjects } from "../../support/schemas";
import {
  DATABASE_EGRESS,
  mlflowArgs,
  NAMESPACE,
  OBJECT_STORE_EGRESS,
  ROUTER_PEER,
  teamPeer,
} from "./fixtures";
import {
  SERVICE,
  SECRET,
  NETPOL,
  PDB,
  CRB,
  ROLE,
  ROLE_BINDING,
  renderMlflow,
  valueOf,
  literalEnv,
  SECRET_LIKE,
} from "./mlflowRender";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered inputs are untyped JSON */

describe("Mlflow with oauth-proxy (openshift, prod)", () => {
  const openshiftProd = () =>
    mlflowArgs({ target: "openshift", environment: "prod", mlflow: { hostname: "mlflow.apps.example.com" } });

  it("runs MLflow on 127.0.0.1 without the basic-auth app, behind an oauth-proxy sidecar", async () => {
    const { pod, container, env } = await renderMlflow(openshiftProd());
    expect(pod.containers.map((c: any) => c.name)).toEqual(["mlflow", "oauth-proxy"]);
    const args: string[] = container("mlflow").args;
    expect(args.slice(args.indexOf("--host"), args.indexOf("--host") + 2)).toEqual(["--host", "127.0.0.1"]);
    expect(args).not.toContain("--app-name");
    expect(container("mlflow").ports).toEqual([]);
    expect(env("mlflow").MLFLOW_AUTH_CONFIG_PATH).toBeUndefined();
    expect(container("oauth-proxy").image).toBe("registry.redhat.io/openshift4/ose-oauth-proxy-rhel9:v4.18");
  });

  it("authenticates through OpenShift and lets through only who may get the MLflow Service", async () => {
    const proxyArgs: string[] = (await renderMlflow(openshiftProd())).container("oauth-proxy").args;
    expect(proxyArgs).toEqual(
      expect.arrayContaining([
        "--provider=openshift",
        "--https-address=:8443",
        "--http-address=",
        "--upstream=http://127.0.0.1:5000",
        "--openshift-service-account=mlflow",
        '--openshift-sar={"namespace":"ml-test-platform","resource":"services","resourceName":"mlflow","verb":"get"}',
        '--openshift-delegate-urls={"/":{"namespace":"ml-test-platform","resource":"services","name":"mlflow","verb":"get"}}',
        "--tls-cert=/etc/tls/private/tls.crt",
        "--tls-key=/etc/tls/private/tls.key",
        "--cookie-secret-file=/etc/oauth-proxy/cookie-secret",
        "--skip-auth-regex=^/health$",
        "--redeem-url=https://oauth-openshift.openshift-authentication.svc/oauth/token",
      ]),
    );
    expect(proxyArgs.filter((a) => a.startsWith("--skip-auth-regex"))).toEqual([
      "--skip-auth-regex=^/health$",
    ]);
  });

  it("generates the cookie secret and mounts it from a Secret, as it mounts the service-CA certificate", async () => {
    const { rendered, pod, deployment } = await renderMlflow(openshiftProd());
    const cookie = rendered.inputs(rendered.one(SECRET, "oauth-proxy"));
    expect(cookie.stringData).toEqual({ "cookie-secret": "mock-mlflow-cookie-secret" });
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: "oauth-proxy-tls", secret: { secretName: "mlflow-tls", defaultMode: 0o440 } },
        { name: "oauth-proxy-cookie", secret: { secretName: "mlflow-oauth-proxy", defaultMode: 0o440 } },
      ]),
    );
    expect(JSON.stringify(deployment)).not.toContain("mock-");
    for (const entry of literalEnv(pod)) expect(entry.name).not.toMatch(SECRET_LIKE);
  });

  it("serves HTTPS from the service CA: annotated Service, port https 8443, backendTls, https tracking URI", async () => {
    const { rendered, component } = await renderMlflow(openshiftProd());
    const service = rendered.inputs(rendered.one(SERVICE));
    expect(service.metadata.annotations).toEqual({
      "service.beta.openshift.io/serving-cert-secret-name": "mlflow-tls",
    });
    expect(service.spec.ports).toEqual([{ name: "https", port: 8443, targetPort: "https", protocol: "TCP" }]);
    expect(component.backendTls).toBe(true);
    expect(component.servicePort).toBe(8443);
    expect(await valueOf(component.trackingUri)).toBe("https://mlflow.ml-test-platform.svc:8443");
    expect(component.adminSecretName).toBeUndefined();
  });

  it("mounts the ServiceAccount token with the documented opt-out and binds system:auth-delegator", async () => {
    const { rendered, pod, deployment } = await renderMlflow(openshiftProd());
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(deployment.spec.template.metadata.annotations["mlstack.io/needs-api-access"]).toMatch(
      /oauth-proxy/,
    );
    expect(deployment.metadata.annotations["mlstack.io/needs-api-access"]).toMatch(/oauth-proxy/);
    const binding = rendered.inputs(rendered.one(CRB));
    expect(binding.metadata.name).toBe("ml-test-platform-mlflow-auth-delegator");
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "system:auth-delegator",
    });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "mlflow", namespace: NAMESPACE }]);
  });

  it("probes MLflow from inside the pod (it listens on loopback) and the proxy over HTTPS", async () => {
    const { container } = await renderMlflow(openshiftProd());
    const mlflow = container("mlflow");
    expect(mlflow.readinessProbe.exec.command.join(" ")).toContain("http://127.0.0.1:5000/health");
    expect(mlflow.livenessProbe.exec).toBeDefined();
    expect(mlflow.startupProbe.exec).toBeDefined();
    const proxy = container("oauth-proxy");
    expect(proxy.readinessProbe.httpGet).toEqual({ path: "/health", port: "https", scheme: "HTTPS" });
    expect(proxy.livenessProbe.httpGet).toEqual({ path: "/oauth/healthz", port: "https", scheme: "HTTPS" });
  });

  it("leaves UID, GID and fsGroup to the restricted-v2 SCC on every container", async () => {
    const { pod } = await renderMlflow(openshiftProd());
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    for (const c of pod.containers) {
      expect(c.securityContext.runAsUser).toBeUndefined();
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        readOnlyRootFilesystem: true,
      });
      expect(c.resources.requests).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
    }
  });

  it("prod: replicas from config, a PodDisruptionBudget keeping one pod, spread across nodes and zones", async () => {
    const { rendered, deployment, pod } = await renderMlflow(openshiftProd());
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    const pdb = rendered.inputs(rendered.one(PDB));
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector).toEqual({ matchLabels: deployment.spec.selector.matchLabels });
    expect(pod.topologySpreadConstraints.map((t: any) => [t.topologyKey, t.whenUnsatisfiable])).toEqual([
      ["kubernetes.io/hostname", "DoNotSchedule"],
      ["topology.kubernetes.io/zone", "ScheduleAnyway"],
    ]);
    const three = await renderMlflow(
      mlflowArgs({ target: "openshift", environment: "prod", mlflow: { replicas: 3 } }),
    );
    expect(three.deployment.spec.replicas).toBe(3);
  });

  it("opens the proxy port only, and egress to the API server, the OAuth server and OpenShift DNS besides the grants", async () => {
    const { rendered } = await renderMlflow(openshiftProd());
    const spec = rendered.inputs(rendered.one(NETPOL)).spec;
    expect(spec.ingress).toEqual([
      {
        from: [
          teamPeer("ml-test-fraud"),
          ROUTER_PEER,
          {
            namespaceSelector: {
              matchLabels: { "kubernetes.io/metadata.name": "openshift-user-workload-monitoring" },
            },
          },
        ],
        ports: [{ protocol: "TCP", port: 8443 }],
      },
    ]);
    expect(spec.egress).toEqual([
      DATABASE_EGRESS,
      OBJECT_STORE_EGRESS,
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openshift-dns" } },
            podSelector: { matchLabels: { "dns.operator.openshift.io/daemonset-dns": "default" } },
          },
        ],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
          { protocol: "UDP", port: 5353 },
          { protocol: "TCP", port: 5353 },
        ],
      },
      {
        to: [{ ipBlock: { cidr: "10.0.0.1/32" } }, { ipBlock: { cidr: "192.168.10.0/24" } }],
        ports: [
          { protocol: "TCP", port: 443 },
          { protocol: "TCP", port: 6443 },
        ],
      },
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openshift-authentication" } },
            podSelector: { matchLabels: { app: "oauth-openshift" } },
          },
        ],
        ports: [{ protocol: "TCP", port: 6443 }],
      },
    ]);
  });

  it("binds proxyUsers to a Role that grants get on the MLflow Service and nothing else", async () => {
    const subjects = [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "ml-fraud" }];
    const { rendered } = await renderMlflow({ ...openshiftProd(), proxyUsers: subjects });
    const role = rendered.inputs(rendered.one(ROLE));
    expect(role.rules).toEqual([
      { apiGroups: [""], resources: ["services"], resourceNames: ["mlflow"], verbs: ["get"] },
    ]);
    const binding = rendered.inputs(rendered.one(ROLE_BINDING));
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "mlflow-users",
    });
    expect(binding.subjects).toEqual(subjects);
    const without = await renderMlflow(openshiftProd());
    expect(without.rendered.ofType(ROLE)).toHaveLength(0);
  });

  it("emits objects valid against the Kubernetes schemas", async () => {
    const { rendered } = await renderMlflow({
      ...openshiftProd(),
      proxyUsers: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "ml-fraud" }],
    });
    const objects = rendered.resources
      .filter((r) => r.type.startsWith("kubernetes:"))
      .map((r) => rendered.inputs(r));
    const result = validateObjects(objects);
    expect(result.errors).toEqual([]);
    expect(result.checked).toBe(objects.length);
  });
});
