/**
 * The in-cluster object store for the kubernetes and openshift targets, by `objectStore.provider`:
 * ObjectBucketClaims, an external S3 endpoint, or a SeaweedFS server mlstack runs (dev).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ObjectStore } from "../../components/objectstore/contract";
import {
  ExternalObjectStore,
  planExternalObjectStore,
  type ExternalObjectStoreArgs,
} from "../../components/objectstore/ExternalObjectStore";
import {
  ObcObjectStore,
  planObcObjectStore,
  type ObcObjectStoreArgs,
} from "../../components/objectstore/ObcObjectStore";
import {
  planSeaweedFsObjectStore,
  SeaweedFsObjectStore,
  type SeaweedFsObjectStoreArgs,
} from "../../components/objectstore/SeaweedFsObjectStore";

export type InClusterObjectStoreArgs = ObcObjectStoreArgs &
  ExternalObjectStoreArgs &
  SeaweedFsObjectStoreArgs;

/** Checks the chosen provider's arguments (pure; the pre-flight step runs it). */
export function planInClusterObjectStore(
  name: string,
  args: Omit<InClusterObjectStoreArgs, "dependsOn">,
): void {
  switch (args.config.provider) {
    case "obc":
      planObcObjectStore(name, args);
      return;
    case "external":
      planExternalObjectStore(name, args);
      return;
    case "seaweedfs":
      planSeaweedFsObjectStore(name, args);
      return;
  }
}

export function createInClusterObjectStore(
  name: string,
  args: InClusterObjectStoreArgs,
  parent: pulumi.Resource,
): ObjectStore {
  switch (args.config.provider) {
    case "obc":
      return new ObcObjectStore(name, args, { parent });
    case "external":
      return new ExternalObjectStore(name, args, { parent });
    case "seaweedfs":
      return new SeaweedFsObjectStore(name, args, { parent });
  }
}
