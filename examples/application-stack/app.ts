/**
 * The fraud-score dashboard of the payments-risk team: a Deployment and a Service in the team's
 * namespace, running as one of the platform's workloads (its service account and its grants), so
 * it reads the same Kafka topics and database with the same credentials. Everything it needs comes
 * from the platform stack's outputs (`PlatformStackOutputs`, names and references only): the
 * namespace, the service account, the env as Secret/ConfigMap references, the CA files, MLflow.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformStackOutputs, TeamOutputs, WorkloadOutputs } from "mlstack";

/** The shape of the platform outputs this app was written against (`outputsVersion`). */
const OUTPUTS_VERSION = 1;
const APP = "scores-dashboard";
const PORT = 8080;

export interface ScoresDashboardArgs {
  /** The platform stack, `org/project/stack`. */
  platformStack: string;
  team: string;
  /** The platform workload whose grants the dashboard uses. */
  workload: string;
  image?: string;
}

/** The team and workload the args name, or an error that says what the platform stack has. */
function select(
  outputs: Partial<Pick<PlatformStackOutputs, "outputsVersion" | "teams">>,
  args: ScoresDashboardArgs,
): { team: TeamOutputs; workload: WorkloadOutputs } {
  for (const key of ["outputsVersion", "teams"] as const)
    if (outputs[key] === undefined) throw new Error(`${args.platformStack}: the stack has no output ${key}`);
  if (outputs.outputsVersion !== OUTPUTS_VERSION)
    throw new Error(
      `${args.platformStack}: outputsVersion ${outputs.outputsVersion}, this app reads version ${OUTPUTS_VERSION}`,
    );
  const teams = outputs.teams as PlatformStackOutputs["teams"];
  const team = teams[args.team];
  if (!team)
    throw new Error(
      `${args.platformStack}: no team ${JSON.stringify(args.team)} (teams: ${Object.keys(teams).join(", ")})`,
    );
  const workload = team.workloads[args.workload];
  if (!workload)
    throw new Error(
      `${args.platformStack}: team ${args.team} has no workload ${JSON.stringify(args.workload)} (workloads: ${Object.keys(team.workloads).join(", ") || "none"})`,
    );
  return { team, workload };
}

/** The workload's env as the pod declares it: plain values, and secret values by reference only. */
function podEnv(workload: WorkloadOutputs): k8s.types.input.core.v1.EnvVar[] {
  return Object.entries(workload.env).map(([name, e]) =>
    e.secretKeyRef
      ? { name, valueFrom: { secretKeyRef: { name: e.secretKeyRef.secretName, key: e.secretKeyRef.key } } }
      : { name, value: e.value ?? "" },
  );
}

/** Each file the env names (CA bundles, client certificates), mounted from its Secret or ConfigMap at that path. */
function podFiles(workload: WorkloadOutputs): {
  volumes: k8s.types.input.core.v1.Volume[];
  mounts: k8s.types.input.core.v1.VolumeMount[];
} {
  const files = Object.entries(workload.files);
  return {
    volumes: files.map(([env, f], i) => {
      const items = [{ key: f.key, path: f.key }];
      return f.secretName
        ? { name: `file-${i}`, secret: { secretName: f.secretName, items, defaultMode: 0o444 } }
        : { name: `file-${i}`, configMap: { name: f.configMapName ?? env, items, defaultMode: 0o444 } };
    }),
    mounts: files.map(([env], i) => ({
      name: `file-${i}`,
      mountPath: workload.env[env]?.value ?? "",
      subPath: workload.files[env].key,
      readOnly: true,
    })),
  };
}

/**
 * Reads the platform's outputs first (so a missing team or a renamed output fails the program with
 * one message, before anything registers), then deploys with plain names.
 */
export async function scoresDashboard(args: ScoresDashboardArgs) {
  const platform = new pulumi.StackReference("platform", { name: args.platformStack });
  const [version, teams] = await Promise.all([
    platform.getOutputDetails("outputsVersion"),
    platform.getOutputDetails("teams"),
  ]);
  const selected = select(
    {
      outputsVersion: version.value as number | undefined,
      teams: teams.value as PlatformStackOutputs["teams"] | undefined,
    },
    args,
  );
  const namespace = selected.team.namespace;
  const labels = {
    "app.kubernetes.io/name": APP,
    "app.kubernetes.io/part-of": "payments-risk",
    "app.kubernetes.io/managed-by": "pulumi",
  };
  const files = podFiles(selected.workload);

  const deployment = new k8s.apps.v1.Deployment(APP, {
    metadata: { name: APP, namespace, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: { "app.kubernetes.io/name": APP } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: selected.workload.serviceAccountName,
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: APP,
              image: args.image ?? "ghcr.io/acme/scores-dashboard:1.4.2",
              ports: [{ name: "http", containerPort: PORT }],
              env: [
                ...podEnv(selected.workload),
                { name: "MLFLOW_TRACKING_URI", value: selected.team.mlflowTrackingUri },
              ],
              volumeMounts: files.mounts,
              resources: {
                requests: { cpu: "100m", memory: "256Mi" },
                limits: { cpu: "500m", memory: "512Mi" },
              },
              readinessProbe: { httpGet: { path: "/healthz", port: "http" } },
              livenessProbe: { httpGet: { path: "/healthz", port: "http" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
            },
          ],
          volumes: files.volumes,
        },
      },
    },
  });
  const service = new k8s.core.v1.Service(APP, {
    metadata: { name: APP, namespace, labels },
    spec: {
      selector: { "app.kubernetes.io/name": APP },
      ports: [{ name: "http", port: 80, targetPort: "http" }],
    },
  });

  return {
    namespace,
    url: pulumi.interpolate`http://${service.metadata.name}.${namespace}.svc`,
    deployment: deployment.metadata.name,
  };
}
