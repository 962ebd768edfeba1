/**
 * Grants as the in-cluster backing services hand them over, for component tests that take a
 * `WorkloadAccess` without rendering the service itself.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { WorkloadAccess } from "../../components/identity/contract";

export const S3_ENDPOINT = "http://rook-ceph-rgw-objectstore.rook-ceph.svc";

export const OBJECT_STORE_EGRESS: k8s.types.input.networking.v1.NetworkPolicyEgressRule = {
  to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "rook-ceph" } } }],
  ports: [{ protocol: "TCP", port: 80 }],
};

/** An ObjectBucketClaim grant for `claim` (physical bucket `bucketName`): endpoint, region, static credentials by reference. */
export function obcBucketGrant(claim: string, bucketName: string): WorkloadAccess {
  return {
    env: [
      { name: "BUCKET_NAME", value: bucketName },
      { name: "AWS_ENDPOINT_URL", value: S3_ENDPOINT },
      { name: "AWS_REGION", value: "us-east-1" },
      { name: "AWS_ACCESS_KEY_ID", valueFrom: { secretKeyRef: { name: claim, key: "AWS_ACCESS_KEY_ID" } } },
      {
        name: "AWS_SECRET_ACCESS_KEY",
        valueFrom: { secretKeyRef: { name: claim, key: "AWS_SECRET_ACCESS_KEY" } },
      },
    ],
    volumes: [],
    volumeMounts: [],
    egress: [OBJECT_STORE_EGRESS],
    dependsOn: [],
  };
}
