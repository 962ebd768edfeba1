/**
 * Workload identity, provider-neutral: who a pod is when it reaches a backing service.
 *
 * | target | identity |
 * |---|---|
 * | kubernetes / openshift | the Kubernetes ServiceAccount; access arrives as per-workload credential Secrets |
 * | aws | an IAM role assumed through IRSA (ServiceAccount annotated with the role ARN) |
 * | gcp | a Google service account bound through Workload Identity (ServiceAccount annotated) |
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** A workload the platform runs: MLflow or one served model. */
export interface WorkloadRef {
  /** Workload name (`mlflow` or the model name); unique in the stack. */
  name: string;
  /** Owning team, or `platform`. */
  team: string;
  /** Namespace the workload's pods run in. */
  namespace: string;
  /** Kubernetes ServiceAccount name its pods use. */
  serviceAccountName: string;
}

/** The identity a workload carries, created before its ServiceAccount so the annotations are known. */
export interface WorkloadIdentity {
  workload: WorkloadRef;
  /** Annotations the workload's ServiceAccount must carry (IRSA role ARN, GSA e-mail; none in-cluster). */
  serviceAccountAnnotations: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Resources a grant must wait for (an IAM role, a GSA). */
  dependencies: pulumi.Resource[];
}

/** Creates one identity per workload for a target. */
export interface WorkloadIdentityProvider {
  forWorkload(workload: WorkloadRef, opts: { parent: pulumi.Resource }): WorkloadIdentity;
}

/**
 * A port a grant opens: Kubernetes' NetworkPolicyPort, with `port` (a number or a port name) typed
 * as any value. A component package's schema has no unions, and `Any` is how it carries Kubernetes'
 * int-or-string, so Mlflow and the workloads that take a grant stay usable from Python, Go, .NET
 * and YAML (@pulumi/pulumi 3.270.0, provider/experimental/analyzer.js). Kubernetes' own
 * NetworkPolicyPort is assignable to it, and it to that.
 */
export interface EgressPort {
  /** `TCP` (Kubernetes' default), `UDP` or `SCTP`. */
  protocol?: pulumi.Input<string | undefined>;
  /** Port number or named port. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kubernetes' int-or-string; see above
  port?: pulumi.Input<any>;
  /** Last port of a range starting at `port`. */
  endPort?: pulumi.Input<number | undefined>;
}

/** One egress rule of a grant: Kubernetes' NetworkPolicyEgressRule, with its ports as `EgressPort`. */
export interface EgressRule {
  to?: pulumi.Input<pulumi.Input<k8s.types.input.networking.v1.NetworkPolicyPeer>[] | undefined>;
  ports?: pulumi.Input<pulumi.Input<EgressPort>[] | undefined>;
}

/**
 * What a pod needs to use a resource it was granted: environment (secrets only through
 * `secretKeyRef`), volumes and mounts (CA bundles, client certificates), and resources that
 * must exist before the pod starts.
 */
export interface WorkloadAccess {
  env: k8s.types.input.core.v1.EnvVar[];
  volumes: k8s.types.input.core.v1.Volume[];
  volumeMounts: k8s.types.input.core.v1.VolumeMount[];
  /**
   * Egress the workload's NetworkPolicy must allow to reach the resource (its namespace is
   * default-deny): e.g. the Kafka broker pods on 9093, the database on 5432, the object store.
   */
  egress: EgressRule[];
  dependsOn: pulumi.Resource[];
}

export function emptyAccess(): WorkloadAccess {
  return { env: [], volumes: [], volumeMounts: [], egress: [], dependsOn: [] };
}

/**
 * Merges several grants into what one pod template needs. Entries two grants both carry (the
 * same `AWS_REGION`, the same egress rule) appear once; the same env name with different values
 * is a conflict and refused, since the pod could honour only one of them.
 */
export function mergeAccess(...grants: WorkloadAccess[]): WorkloadAccess {
  const unique = <T>(items: T[]): T[] => {
    const seen = new Set<string>();
    return items.filter((item) => {
      const key = JSON.stringify(item);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  };
  const env = unique(grants.flatMap((g) => g.env));
  const names = new Set<string>();
  for (const entry of env) {
    if (names.has(entry.name as string)) {
      throw new Error(
        `mergeAccess: two grants set env ${JSON.stringify(entry.name)} differently; a pod can take only one value`,
      );
    }
    names.add(entry.name as string);
  }
  return {
    env,
    volumes: unique(grants.flatMap((g) => g.volumes)),
    volumeMounts: unique(grants.flatMap((g) => g.volumeMounts)),
    egress: unique(grants.flatMap((g) => g.egress)),
    dependsOn: [...new Set(grants.flatMap((g) => g.dependsOn))],
  };
}
