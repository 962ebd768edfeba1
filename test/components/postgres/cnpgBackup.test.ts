import * as pulumi from "@pulumi/pulumi";
import type { WorkloadAccess } from "../../../components/identity/contract";
import type { Bucket } from "../../../components/objectstore/contract";
import {
  barmanBackupSettings,
  DEFAULT_BACKUP_SIDECAR_RESOURCES,
} from "../../../components/postgres/cnpgBackup";
import { render } from "../../support/render";

function bucket(scheme: "s3" | "gs" = "s3"): Bucket {
  const bucketName = pulumi.output("mlstack-test-postgres-backups");
  return {
    logicalName: "postgres-backups",
    bucketName,
    scheme,
    endpoint: scheme === "s3" ? pulumi.output("https://s3.example.com") : undefined,
    url: (path?: string) => pulumi.interpolate`${scheme}://${bucketName}/${path ?? ""}`,
    grantAccess: () => {
      throw new Error("not used");
    },
  };
}

function grant(extra: Partial<WorkloadAccess> = {}): WorkloadAccess {
  return {
    env: [
      { name: "AWS_ENDPOINT_URL", value: "https://s3.example.com" },
      { name: "AWS_ACCESS_KEY_ID", valueFrom: { secretKeyRef: { name: "backup-keys", key: "id" } } },
      { name: "AWS_SECRET_ACCESS_KEY", valueFrom: { secretKeyRef: { name: "backup-keys", key: "secret" } } },
    ],
    volumes: [],
    volumeMounts: [],
    egress: [],
    dependsOn: [],
    ...extra,
  };
}

const settingsFor = (b: Bucket, g: WorkloadAccess) =>
  barmanBackupSettings({
    where: "test",
    bucket: b,
    grant: g,
    retentionDays: 14,
    sidecarResources: DEFAULT_BACKUP_SIDECAR_RESOURCES,
  });

describe("barmanBackupSettings", () => {
  it("maps the grant's secret references to the plugin's s3Credentials", async () => {
    const r = await render(() => ({ spec: settingsFor(bucket(), grant()).objectStoreSpec }));
    expect((r.outputs.spec as { configuration: Record<string, unknown> }).configuration).toMatchObject({
      destinationPath: "s3://mlstack-test-postgres-backups/",
      endpointURL: "https://s3.example.com",
      s3Credentials: {
        accessKeyId: { name: "backup-keys", key: "id" },
        secretAccessKey: { name: "backup-keys", key: "secret" },
      },
    });
  });

  it("re-homes a CA delivered in a Secret volume under /projected", () => {
    const settings = settingsFor(
      bucket(),
      grant({
        env: [...grant().env, { name: "AWS_CA_BUNDLE", value: "/etc/ca/bundle.pem" }],
        volumes: [
          { name: "ca", secret: { secretName: "corp-ca", items: [{ key: "root.pem", path: "bundle.pem" }] } },
        ],
        volumeMounts: [{ name: "ca", mountPath: "/etc/ca", readOnly: true }],
      }),
    );
    expect(settings.projectedSources).toEqual([
      {
        secret: {
          name: "corp-ca",
          items: [{ key: "root.pem", path: "object-store-ca/postgres-backups/bundle.pem" }],
        },
      },
    ]);
    expect((settings.objectStoreSpec.instanceSidecarConfiguration as { env: unknown[] }).env).toContainEqual({
      name: "AWS_CA_BUNDLE",
      value: "/projected/object-store-ca/postgres-backups/bundle.pem",
    });
  });

  it("refuses a grant without a static key pair (workload identity), which barman-cloud cannot use here", () => {
    expect(() => settingsFor(bucket(), grant({ env: [{ name: "BUCKET_NAME", value: "b" }] }))).toThrow(
      'the grant on backup bucket "postgres-backups" carries no AWS_ACCESS_KEY_ID secret reference',
    );
  });

  it("refuses a bucket that is not on an S3-compatible endpoint", () => {
    expect(() => settingsFor(bucket("gs"), grant({ env: grant().env.slice(1) }))).toThrow(
      "is not on an S3-compatible endpoint",
    );
  });

  it("refuses a CA path no mounted volume provides", () => {
    expect(() =>
      settingsFor(
        bucket(),
        grant({ env: [...grant().env, { name: "AWS_CA_BUNDLE", value: "/nowhere/ca.pem" }] }),
      ),
    ).toThrow("no volume of the grant is mounted above /nowhere/ca.pem");
  });
});
