/** Config, context and render helpers shared by the CnpgPostgres.*.test.ts files. */
import * as pulumi from "@pulumi/pulumi";
import { flavorOf, PlatformContext } from "../../../components/context";
import type { WorkloadAccess, WorkloadIdentity } from "../../../components/identity/contract";
import { ObcObjectStore } from "../../../components/objectstore/ObcObjectStore";
import type { CertificateAuthority } from "../../../components/pki/CertificateAuthority";
import { CnpgPostgres, CnpgPostgresArgs } from "../../../components/postgres/CnpgPostgres";
import type { PlatformConfig } from "../../../stacks/config";
import { baseConfig } from "../../support/config";
import { Rendered, render } from "../../support/render";

export const CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster";
export const DATABASE = "kubernetes:postgresql.cnpg.io/v1:Database";
export const SCHEDULED_BACKUP = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup";
export const OBJECT_STORE = "kubernetes:barmancloud.cnpg.io/v1:ObjectStore";
export const POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor";
export const SECRET = "kubernetes:core/v1:Secret";
export const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
export const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** MLflow's database plus one owned by a served model in a team namespace. */
export const DATABASES = { databases: [{ name: "fraud_features", owner: "fraud-detector" }] };

export function configFor(overrides: Record<string, unknown> = {}): PlatformConfig {
  const postgres = { ...DATABASES, ...((overrides.postgres as Record<string, unknown> | undefined) ?? {}) };
  return baseConfig({ ...overrides, postgres });
}

export function contextFor(config: PlatformConfig): PlatformContext {
  return {
    environment: config.environment,
    target: config.target,
    flavor: flavorOf(config.target),
    protect: config.protect,
    highAvailability: config.highAvailability,
    project: config.project,
    stack: config.stack,
  };
}

export function teamNamespace(config: PlatformConfig, team: string): string {
  return config.teams.find((t) => t.name === team)?.namespace as string;
}

export function ownersFor(config: PlatformConfig): Record<string, string> {
  return { mlflow: config.platformNamespace, "fraud-detector": teamNamespace(config, "fraud") };
}

/** The args a target module passes, with the backup bucket from an ObjectBucketClaim store when backups are on. */
export function argsFor(
  config: PlatformConfig,
  store: ObcObjectStore | undefined,
  extra: Partial<CnpgPostgresArgs> = {},
): CnpgPostgresArgs {
  return {
    ctx: contextFor(config),
    config: config.postgres,
    namespace: config.platformNamespace,
    clientNamespaces: config.teams.map((t) => t.namespace),
    operatorNamespace: config.operators.namespace,
    network: config.network,
    owners: ownersFor(config),
    backupBucket:
      config.postgres.backup.enabled && store ? store.bucket(config.postgres.backup.bucket) : undefined,
    monitoring: false,
    ...extra,
  };
}

export function objectStoreFor(config: PlatformConfig): ObcObjectStore {
  const namespaces = {
    platform: config.platformNamespace,
    ...Object.fromEntries(config.teams.map((t) => [t.name, t.namespace])),
  };
  return new ObcObjectStore("objectstore", {
    ctx: contextFor(config),
    config: config.objectStore,
    network: config.network,
    namespaces,
  });
}

export async function renderPostgres(
  config: PlatformConfig,
  extra: Partial<CnpgPostgresArgs> = {},
): Promise<Rendered> {
  return render(() => {
    new CnpgPostgres("postgres", argsFor(config, objectStoreFor(config), extra));
  });
}

export function identity(name: string, team: string, namespace: string): WorkloadIdentity {
  return {
    workload: { name, team, namespace, serviceAccountName: name },
    serviceAccountAnnotations: {},
    dependencies: [],
  };
}

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered inputs are untyped JSON */
export type Resolved = {
  env: Array<Record<string, any>>;
  volumes: any[];
  volumeMounts: any[];
  egress: any[];
};
/* eslint-enable @typescript-eslint/no-explicit-any */

export async function grantOf(
  config: PlatformConfig,
  who: WorkloadIdentity,
  database: string,
): Promise<{ r: Rendered; grant: Resolved }> {
  const r = await render(() => {
    const pg = new CnpgPostgres("postgres", argsFor(config, objectStoreFor(config)));
    const access: WorkloadAccess = pg.grantDatabase(who, database, { parent: pg });
    return {
      env: access.env,
      volumes: access.volumes,
      volumeMounts: access.volumeMounts,
      egress: access.egress,
    };
  });
  return { r, grant: r.outputs as unknown as Resolved };
}

/** A CA with known PEMs (the mock runtime computes no certificates). */
export function fakeCa(): Pick<CertificateAuthority, "certPem" | "issue"> {
  return {
    certPem: pulumi.output("CA CERT"),
    issue: (_name, args) => ({
      certPem: pulumi.output(`SERVER CERT for ${args.commonName}`),
      privateKeyPem: pulumi.secret("SERVER KEY"),
    }),
  };
}

export const clusterSpec = (r: Rendered) => r.inputs(r.one(CLUSTER)).spec;

/** Mutes pulumi.log.warn around each test of the calling describe: the object store warns about settings claims cannot enforce, which is not what these tests are about. */
export function muteObjectStoreWarnings(): void {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
  });
  afterEach(() => warn.mockRestore());
}
