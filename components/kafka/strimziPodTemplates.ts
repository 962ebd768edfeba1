/**
 * The `template` sections that make every pod Strimzi creates for a cluster meet Pod Security
 * `restricted` (and, on OpenShift, the restricted-v2 SCC), whatever pod-security provider the
 * operator was installed with:
 *
 * - pod: `podSecurityContext(flavor)` (non-root, RuntimeDefault seccomp; on Kubernetes a high UID,
 *   GID and fsGroup, on OpenShift none, the SCC assigns them);
 * - every container Strimzi runs in those pods: `containerSecurityContext(flavor)` (no privilege
 *   escalation, all capabilities dropped, read-only root filesystem: Strimzi's containers write
 *   only to the `/tmp` emptyDir it mounts and to the data volumes).
 *
 * The node pools carry the complete Kafka pod template: Strimzi does not merge a pool's template
 * with the `Kafka` one, a pool that sets any template field ignores the cluster's entirely.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { ClusterFlavor } from "../context";
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;
type TopologySpreadConstraint = k8s.types.input.core.v1.TopologySpreadConstraint;
type Affinity = k8s.types.input.core.v1.Affinity;

/** Strimzi's `PodTemplate` fields this module sets. */
export interface StrimziPodTemplate {
  securityContext: PodSecurityContext;
  topologySpreadConstraints?: TopologySpreadConstraint[];
  affinity?: Affinity;
}

/** Strimzi's `ContainerTemplate` fields this module sets. */
export interface StrimziContainerTemplate {
  securityContext: SecurityContext;
}

/** `KafkaNodePool.spec.template`. */
export interface KafkaNodePoolTemplate {
  pod: StrimziPodTemplate;
  kafkaContainer: StrimziContainerTemplate;
  /** Runs only for rack awareness or node-port listeners; hardened all the same. */
  initContainer: StrimziContainerTemplate;
}

/** `Kafka.spec.entityOperator.template`. */
export interface EntityOperatorTemplate {
  pod: StrimziPodTemplate;
  topicOperatorContainer: StrimziContainerTemplate;
  userOperatorContainer: StrimziContainerTemplate;
}

/** The labels Strimzi puts on every broker and controller pod of a cluster. */
export function kafkaPodLabels(cluster: string): Record<string, string> {
  return { "strimzi.io/cluster": cluster, "strimzi.io/kind": "Kafka", "strimzi.io/name": `${cluster}-kafka` };
}

/** The labels Strimzi puts on the Entity Operator pod (Topic and User Operators). */
export function entityOperatorPodLabels(cluster: string): Record<string, string> {
  return {
    "strimzi.io/cluster": cluster,
    "strimzi.io/kind": "Kafka",
    "strimzi.io/name": `${cluster}-entity-operator`,
  };
}

/**
 * Pod security for pods with persistent volumes. On Kubernetes the fsGroup makes the volume
 * writable for the non-root UID; `OnRootMismatch` skips the recursive ownership walk on every
 * restart once the volume root is right (broker volumes hold hundreds of gigabytes).
 */
function dataPodSecurityContext(flavor: ClusterFlavor): PodSecurityContext {
  const base = podSecurityContext(flavor);
  return flavor === "openshift" ? base : { ...base, fsGroupChangePolicy: "OnRootMismatch" };
}

/**
 * Spreading for a highly available pool: at most one node of the pool per host more than any
 * other host (hard), the same across zones where the cluster has them (soft), and every Kafka
 * node kept off hosts already running another node of the cluster when there is room (preferred
 * anti-affinity), so losing one host costs as few voters and brokers as the cluster allows.
 */
function spread(
  cluster: string,
  pool: string,
): Pick<StrimziPodTemplate, "topologySpreadConstraints" | "affinity"> {
  const poolSelector = { matchLabels: { "strimzi.io/cluster": cluster, "strimzi.io/pool-name": pool } };
  return {
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: poolSelector,
      },
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: poolSelector,
      },
    ],
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              topologyKey: "kubernetes.io/hostname",
              labelSelector: { matchLabels: kafkaPodLabels(cluster) },
            },
          },
        ],
      },
    },
  };
}

export function nodePoolTemplate(args: {
  flavor: ClusterFlavor;
  cluster: string;
  pool: string;
  highAvailability: boolean;
}): KafkaNodePoolTemplate {
  return {
    pod: {
      securityContext: dataPodSecurityContext(args.flavor),
      ...(args.highAvailability ? spread(args.cluster, args.pool) : {}),
    },
    kafkaContainer: { securityContext: containerSecurityContext(args.flavor) },
    initContainer: { securityContext: containerSecurityContext(args.flavor) },
  };
}

export function entityOperatorTemplate(flavor: ClusterFlavor): EntityOperatorTemplate {
  return {
    pod: { securityContext: podSecurityContext(flavor) },
    topicOperatorContainer: { securityContext: containerSecurityContext(flavor) },
    userOperatorContainer: { securityContext: containerSecurityContext(flavor) },
  };
}
