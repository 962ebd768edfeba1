import { CnpgPostgres, CnpgPostgresArgs } from "../../../components/postgres/CnpgPostgres";
import type { PlatformConfig } from "../../../stacks/config";
import {
  SCHEDULED_BACKUP,
  OBJECT_STORE,
  POD_MONITOR,
  NETWORK_POLICY,
  configFor,
  argsFor,
  renderPostgres,
  clusterSpec,
  muteObjectStoreWarnings,
} from "./cnpgRender";

describe("CnpgPostgres", () => {
  muteObjectStoreWarnings();

  describe("backups", () => {
    it("archives WAL and base backups through the Barman Cloud plugin to the backup bucket", async () => {
      const r = await renderPostgres(configFor({ environment: "prod" }));
      expect(clusterSpec(r).plugins).toEqual([
        {
          name: "barman-cloud.cloudnative-pg.io",
          isWALArchiver: true,
          parameters: { barmanObjectName: "postgres-backups" },
        },
      ]);
      expect(clusterSpec(r).backup).toBeUndefined();
      const store = r.inputs(r.one(OBJECT_STORE));
      expect(store.metadata).toMatchObject({ name: "postgres-backups", namespace: "ml-prod-platform" });
      expect(store.spec.configuration).toMatchObject({
        destinationPath: "s3://mlstack-test-postgres-backups/",
        endpointURL: "http://rook-ceph-rgw-objectstore.rook-ceph.svc",
        wal: { compression: "gzip" },
      });
    });

    it("keeps backups and WAL for the configured retention", async () => {
      const r = await renderPostgres(configFor({ environment: "prod" }));
      expect(r.inputs(r.one(OBJECT_STORE)).spec.retentionPolicy).toBe("35d");
      const custom = await renderPostgres(
        configFor({ environment: "staging", postgres: { backup: { retentionDays: 21 } } }),
      );
      expect(custom.inputs(custom.one(OBJECT_STORE)).spec.retentionPolicy).toBe("21d");
    });

    it("takes its key pair from the bucket's grant to the cluster, by reference to the claim's Secret", async () => {
      const r = await renderPostgres(configFor({ environment: "prod" }));
      expect(r.inputs(r.one(OBJECT_STORE)).spec.configuration.s3Credentials).toEqual({
        accessKeyId: { name: "objectstore-postgres-backups", key: "AWS_ACCESS_KEY_ID" },
        secretAccessKey: { name: "objectstore-postgres-backups", key: "AWS_SECRET_ACCESS_KEY" },
      });
      const sidecar = r.inputs(r.one(OBJECT_STORE)).spec.instanceSidecarConfiguration;
      expect(sidecar.resources.limits.memory).toBe("1Gi");
      expect(sidecar.env).toEqual([
        { name: "AWS_REGION", value: "us-east-1" },
        { name: "AWS_DEFAULT_REGION", value: "us-east-1" },
      ]);
    });

    it("schedules base backups on the configured schedule, starting right away", async () => {
      const r = await renderPostgres(
        configFor({ environment: "prod", postgres: { backup: { schedule: "0 30 1 * * *" } } }),
      );
      expect(r.inputs(r.one(SCHEDULED_BACKUP)).spec).toEqual({
        cluster: { name: "postgres" },
        schedule: "0 30 1 * * *",
        method: "plugin",
        pluginConfiguration: { name: "barman-cloud.cloudnative-pg.io" },
        immediate: true,
        backupOwnerReference: "self",
        target: "prefer-standby",
      });
    });

    it("on OpenShift hands barman-cloud the service CA through the projected volume", async () => {
      const r = await renderPostgres(configFor({ target: "openshift", environment: "prod" }));
      expect(clusterSpec(r).projectedVolumeTemplate).toEqual({
        sources: [
          {
            configMap: {
              name: "openshift-service-ca.crt",
              items: [{ key: "service-ca.crt", path: "object-store-ca/postgres-backups/service-ca.crt" }],
            },
          },
        ],
      });
      expect(r.inputs(r.one(OBJECT_STORE)).spec.instanceSidecarConfiguration.env).toContainEqual({
        name: "AWS_CA_BUNDLE",
        value: "/projected/object-store-ca/postgres-backups/service-ca.crt",
      });
      expect(r.inputs(r.one(OBJECT_STORE)).spec.configuration.endpointURL).toBe(
        "https://s3.openshift-storage.svc",
      );
    });

    it("refuses backups without a bucket to put them in", () => {
      const config = configFor({ environment: "prod" });
      expect(() => new CnpgPostgres("postgres", argsFor(config, undefined))).toThrow(
        'backupBucket undefined is required: postgres.backup.enabled is true but no backupBucket was given; pass the object store\'s "postgres-backups" bucket',
      );
    });
  });

  describe("the NetworkPolicy of the instances", () => {
    async function policy(config: PlatformConfig, extra: Partial<CnpgPostgresArgs> = {}) {
      const r = await renderPostgres(config, extra);
      return r.inputs(r.one(NETWORK_POLICY)).spec;
    }

    it("selects the cluster's pods for both directions", async () => {
      const spec = await policy(configFor());
      expect(spec.podSelector).toEqual({ matchLabels: { "cnpg.io/cluster": "postgres" } });
      expect(spec.policyTypes).toEqual(["Ingress", "Egress"]);
    });

    it("admits clients on 5432 from the client namespaces, the operator on 8000, and the instances to each other", async () => {
      const spec = await policy(configFor());
      expect(spec.ingress).toContainEqual({
        from: [
          {
            namespaceSelector: {
              matchExpressions: [
                {
                  key: "kubernetes.io/metadata.name",
                  operator: "In",
                  values: ["ml-dev-fraud", "ml-dev-platform", "ml-dev-pricing"],
                },
              ],
            },
          },
        ],
        ports: [{ protocol: "TCP", port: 5432 }],
      });
      expect(spec.ingress).toContainEqual({
        from: [
          {
            namespaceSelector: {
              matchExpressions: [
                { key: "kubernetes.io/metadata.name", operator: "In", values: ["ml-dev-operators"] },
              ],
            },
          },
        ],
        ports: [
          { protocol: "TCP", port: 8000 },
          { protocol: "TCP", port: 5432 },
        ],
      });
      expect(spec.ingress).toContainEqual({
        from: [{ podSelector: { matchLabels: { "cnpg.io/cluster": "postgres" } } }],
        ports: [
          { protocol: "TCP", port: 5432 },
          { protocol: "TCP", port: 8000 },
        ],
      });
      expect(JSON.stringify(spec.ingress)).not.toContain("9187");
    });

    it("lets the instances out to each other and to the API server on 443/6443 only", async () => {
      const spec = await policy(configFor({ network: { apiServerCidrs: ["10.0.0.1/32"] } }));
      expect(spec.egress).toEqual([
        {
          to: [{ podSelector: { matchLabels: { "cnpg.io/cluster": "postgres" } } }],
          ports: [
            { protocol: "TCP", port: 5432 },
            { protocol: "TCP", port: 8000 },
          ],
        },
        {
          to: [{ ipBlock: { cidr: "10.0.0.1/32" } }],
          ports: [
            { protocol: "TCP", port: 443 },
            { protocol: "TCP", port: 6443 },
          ],
        },
      ]);
    });

    it("lets the instances reach the object store when they back up", async () => {
      const spec = await policy(configFor({ environment: "prod" }));
      expect(spec.egress).toContainEqual({
        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "rook-ceph" } } }],
        ports: [
          { protocol: "TCP", port: 80 },
          { protocol: "TCP", port: 8080 },
        ],
      });
    });

    it("labels the PodMonitor with network.monitorLabels, for a Prometheus that selects by release", async () => {
      const config = configFor({
        environment: "prod",
        network: { monitorLabels: { release: "kube-prometheus-stack" } },
      });
      const r = await renderPostgres(config, { monitoring: true });
      expect(r.inputs(r.one(POD_MONITOR)).metadata.labels).toMatchObject({
        release: "kube-prometheus-stack",
        "app.kubernetes.io/part-of": "mlstack",
      });
    });

    it("admits Prometheus on 9187 and creates a PodMonitor when monitored", async () => {
      const r = await renderPostgres(configFor({ environment: "prod" }), { monitoring: true });
      expect(r.inputs(r.one(NETWORK_POLICY)).spec.ingress).toContainEqual({
        from: [
          {
            namespaceSelector: {
              matchExpressions: [
                { key: "kubernetes.io/metadata.name", operator: "In", values: ["monitoring"] },
              ],
            },
          },
        ],
        ports: [{ protocol: "TCP", port: 9187 }],
      });
      expect(r.inputs(r.one(POD_MONITOR)).spec).toEqual({
        selector: { matchLabels: { "cnpg.io/cluster": "postgres", "cnpg.io/podRole": "instance" } },
        podMetricsEndpoints: [{ port: "metrics" }],
      });
      expect(clusterSpec(r).monitoring).toBeUndefined();
      expect((await renderPostgres(configFor())).ofType(POD_MONITOR)).toEqual([]);
    });
  });
});
