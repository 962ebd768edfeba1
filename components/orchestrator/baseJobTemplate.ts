/**
 * The base job template of a pipeline's Kubernetes work pool: what the Prefect worker
 * (prefect-kubernetes, `KubernetesWorkerJobConfiguration`) turns into one Job per flow run.
 *
 * It follows the shape of prefect-kubernetes' default template (`job_configuration` with
 * `{{ placeholders }}` filled from `variables`, a JSON schema), with what a deployment must not
 * change taken out of `variables` and written into the manifest: the namespace (the team's), the
 * ServiceAccount (the pipeline's own identity), the security contexts (restricted), the grants'
 * env and volumes (secrets by `secretKeyRef` only), the platform labels the NetworkPolicy selects
 * on, and resources (so every run counts against the team's quota with known requests). A
 * deployment may still choose its image, command, extra env and labels.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { ClusterFlavor } from "../context";
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";
import type { ContainerResources } from "../kube/containerResources";

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** The flow-run container's name (prefect-kubernetes reads the first container; the name is ours). */
export const FLOW_RUN_CONTAINER = "prefect-job";
/** The flow run's writable scratch space (the root filesystem is read-only). */
export const FLOW_RUN_SCRATCH = "/tmp";

export interface BaseJobTemplateArgs {
  flavor: ClusterFlavor;
  /** The team namespace the Jobs are created in. */
  namespace: string;
  /** The pipeline's ServiceAccount (its workload identity). */
  serviceAccountName: string;
  /** Labels every flow-run pod carries (platform labels; the NetworkPolicy selects on them). */
  labels: Record<string, string>;
  /** The image runs use unless a deployment names another. */
  defaultImage: string;
  resources: ContainerResources;
  /** Grant env (resolved values; secrets as `secretKeyRef`), then the platform's own entries. */
  env: EnvVar[];
  volumes: Volume[];
  volumeMounts: VolumeMount[];
  /**
   * Mount the ServiceAccount token into flow runs. Only for MLflow behind OpenShift's oauth-proxy,
   * which accepts the token as a bearer credential; the account is bound to nothing else.
   */
  mountServiceAccountToken: boolean;
}

/** The template as Prefect stores it (`prefect work-pool create --base-job-template <file>`). */
export function baseJobTemplate(args: BaseJobTemplateArgs): Record<string, unknown> {
  const container = {
    name: FLOW_RUN_CONTAINER,
    image: "{{ image }}",
    imagePullPolicy: "IfNotPresent",
    args: "{{ command }}",
    // prefect-kubernetes puts the `env` variable's entries before these.
    env: args.env,
    resources: args.resources,
    securityContext: containerSecurityContext(args.flavor),
    volumeMounts: [{ name: "tmp", mountPath: FLOW_RUN_SCRATCH }, ...args.volumeMounts],
  };
  const jobManifest = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { generateName: "{{ name }}-", namespace: args.namespace, labels: "{{ labels }}" },
    spec: {
      // A failed flow run is retried by Prefect (its own retry policy), not by the Job controller.
      backoffLimit: 0,
      // Finished Jobs and their pods stop counting against the quota after an hour.
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels: args.labels },
        spec: {
          restartPolicy: "Never",
          serviceAccountName: args.serviceAccountName,
          // Flow runs talk to Prefect, MLflow, buckets and topics, never to the Kubernetes API.
          automountServiceAccountToken: args.mountServiceAccountToken,
          enableServiceLinks: false,
          securityContext: podSecurityContext(args.flavor),
          containers: [container],
          volumes: [{ name: "tmp", emptyDir: { sizeLimit: "2Gi" } }, ...args.volumes],
        },
      },
    },
  };
  return {
    job_configuration: {
      command: "{{ command }}",
      env: "{{ env }}",
      labels: "{{ labels }}",
      name: "{{ name }}",
      namespace: args.namespace,
      job_manifest: jobManifest,
      cluster_config: "{{ cluster_config }}",
      job_watch_timeout_seconds: "{{ job_watch_timeout_seconds }}",
      pod_watch_timeout_seconds: "{{ pod_watch_timeout_seconds }}",
      stream_output: "{{ stream_output }}",
    },
    variables: {
      type: "object",
      properties: {
        name: { type: "string", title: "Name", description: "Name given to the Job." },
        image: {
          type: "string",
          title: "Image",
          description: "Image of the flow-run container.",
          default: args.defaultImage,
        },
        command: {
          type: "string",
          title: "Command",
          description: "Command of the flow-run container (default: Prefect's flow-run entrypoint).",
        },
        env: {
          type: "object",
          title: "Environment Variables",
          description: "Extra environment of the flow run (never secrets: they belong in the grants).",
          additionalProperties: { type: "string" },
        },
        labels: {
          type: "object",
          title: "Labels",
          description: "Labels of the Job.",
          additionalProperties: { type: "string" },
        },
        cluster_config: {
          title: "Cluster Config",
          description: "Unused: the worker runs in the cluster and uses its own ServiceAccount.",
          allOf: [{ $ref: "#/definitions/KubernetesClusterConfig" }],
        },
        job_watch_timeout_seconds: {
          type: "integer",
          title: "Job Watch Timeout Seconds",
          description: "How long the worker waits for the Job to finish; unset = forever.",
        },
        pod_watch_timeout_seconds: {
          type: "integer",
          title: "Pod Watch Timeout Seconds",
          description: "How long the worker waits for the pod to start.",
          default: 300,
        },
        stream_output: {
          type: "boolean",
          title: "Stream Output",
          description: "Stream the pod's output to the worker's log.",
          default: true,
        },
      },
      definitions: {
        KubernetesClusterConfig: {
          title: "KubernetesClusterConfig",
          description: "Stores configuration for interaction with Kubernetes clusters.",
          type: "object",
          properties: {
            config: {
              title: "Config",
              description: "The entire contents of a kubectl config file.",
              type: "object",
            },
            context_name: {
              title: "Context Name",
              description: "The name of the kubectl context to use.",
              type: "string",
            },
          },
          required: ["config"],
          block_type_slug: "kubernetes-cluster-config",
          secret_fields: [],
          block_schema_references: {},
        },
      },
    },
  };
}
