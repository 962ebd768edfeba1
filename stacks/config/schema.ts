/**
 * The schema of every `mlstack:*` key, assembled from the sections' own schemas (each declared
 * beside its parser). The structural rules live here; the parsers keep only what a schema
 * cannot say (per-environment defaults, cross-references, target-dependent rules).
 */
import type { Static } from "@sinclair/typebox";
import { ENVIRONMENTS, TARGETS } from "./types";
import { Bool, List, OneOf, Opt, Str, Strict } from "./schemaKinds";
import { AwsSchema } from "./aws";
import { GcpSchema } from "./gcp";
import { IngressSchema, OperatorsSchema } from "./cluster";
import { KafkaSchema } from "./kafka";
import { MlflowSchema } from "./mlflow";
import { NetworkSchema } from "./network";
import { ObjectStoreSchema } from "./objectStore";
import { OrchestratorSchema } from "./orchestrator";
import { PostgresSchema } from "./postgres";
import { ServingSchema } from "./serving";
import { TeamsSchema } from "./teams";

/** What `mlstack:namespacePrefix` may be (empty means `ml-<environment>-`). */
export const NAMESPACE_PREFIX = /^([a-z][-a-z0-9]{0,30})?$/;
export const REGISTRY = /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/;

export const MlstackSchema = Strict({
  target: Opt(OneOf(TARGETS, { description: "where the platform runs", default: "kubernetes" })),
  environment: Opt(
    OneOf(ENVIRONMENTS, {
      description: "sets sizes, replicas, retention and protection defaults",
      default: "dev",
    }),
  ),
  namespacePrefix: Opt(
    Str(
      NAMESPACE_PREFIX,
      "a namespace prefix: lowercase letters, digits and '-', starting with a letter, at most 31 characters",
      { description: 'prefix of every namespace the stack creates; default "ml-<environment>-"' },
    ),
  ),
  protect: Opt(Bool({ description: "protect stateful resources; always true in prod" })),
  registries: Opt(
    List(Str(REGISTRY, "a registry host with an optional path (e.g. quay.io/myorg)"), {
      description: "registries every image must come from; empty means the built-in list",
    }),
  ),
  teams: Opt(TeamsSchema),
  kafka: Opt(KafkaSchema),
  postgres: Opt(PostgresSchema),
  objectStore: Opt(ObjectStoreSchema),
  mlflow: Opt(MlflowSchema),
  orchestrator: Opt(OrchestratorSchema),
  serving: Opt(ServingSchema),
  operators: Opt(OperatorsSchema),
  ingress: Opt(IngressSchema),
  network: Opt(NetworkSchema),
  aws: Opt(AwsSchema),
  gcp: Opt(GcpSchema),
});

export type MlstackValues = Static<typeof MlstackSchema>;
