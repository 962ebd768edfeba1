/**
 * Drives the GCP target the way the shared composition (stacks/platform.ts) does: identities
 * first, then the backing services, then each workload's grants (MLflow: its database and
 * artifact bucket; each model: its bucket, and its topics when it streams).
 */
import { PlatformContext, flavorOf } from "../../components/context";
import type { WorkloadAccess } from "../../components/identity/contract";
import { MLFLOW_WORKLOAD, PlatformConfig } from "../../stacks/config";
import { gcpTarget } from "../../stacks/gcp";
import { Rendered, render } from "../support/render";
import { Holder } from "./fixtures";

export function platformContext(config: PlatformConfig): PlatformContext {
  const { environment, target, protect, highAvailability, project, stack } = config;
  return { environment, target, flavor: flavorOf(target), protect, highAvailability, project, stack };
}

export interface Wiring {
  mlflowDatabase: WorkloadAccess;
  mlflowArtifacts: WorkloadAccess;
  models: Record<string, WorkloadAccess[]>;
}

/** Runs the target the way stacks/platform.ts does and returns the grants handed to each workload. */
export async function deploy(config: PlatformConfig): Promise<{ r: Rendered; wiring: Wiring }> {
  let wiring: Wiring | undefined;
  const r = await render(() => {
    const ctx = platformContext(config);
    const parent = new Holder("mlstack");
    const ids = gcpTarget.identityProvider(config, ctx, parent);
    const ns = (team: string) => config.teams.find((t) => t.name === team)?.namespace as string;
    const mlflow = ids.forWorkload(
      {
        name: MLFLOW_WORKLOAD,
        team: "platform",
        namespace: config.platformNamespace,
        serviceAccountName: MLFLOW_WORKLOAD,
      },
      { parent },
    );
    const identities = config.serving.models.map((m) => ({
      model: m,
      identity: ids.forWorkload(
        { name: m.name, team: m.team, namespace: ns(m.team), serviceAccountName: m.name },
        { parent },
      ),
    }));
    const backing = gcpTarget.createBackingServices(
      config,
      ctx,
      {
        platformNamespace: config.platformNamespace,
        teamNamespaces: Object.fromEntries(config.teams.map((t) => [t.name, t.namespace])),
        workloadNamespaces: {},
        dependsOn: [],
      },
      parent,
    );
    const models: Record<string, WorkloadAccess[]> = {};
    for (const { model, identity } of identities) {
      const grants: WorkloadAccess[] = [];
      if (model.source?.bucket !== undefined)
        grants.push(
          backing.objectStore.bucket(model.source.bucket).grantAccess(identity, "read", { parent }),
        );
      if (model.kafka) {
        grants.push(
          backing.kafka.grantTopicAccess(
            identity,
            {
              read: [model.kafka.inputTopic],
              write: [model.kafka.outputTopic],
              consumerGroup: model.kafka.consumerGroup,
            },
            { parent },
          ),
        );
      }
      models[model.name] = grants;
    }
    wiring = {
      mlflowDatabase: backing.postgres.grantDatabase(mlflow, config.mlflow.database, { parent }),
      mlflowArtifacts: backing.objectStore
        .bucket(config.mlflow.artifactBucket)
        .grantAccess(mlflow, "readwrite", { parent }),
      models,
    };
    return {
      artifacts: backing.objectStore.bucket(config.mlflow.artifactBucket).url(""),
      bootstrap: backing.kafka.bootstrapServers,
    };
  });
  return { r, wiring: wiring as Wiring };
}
