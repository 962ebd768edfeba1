/**
 * `mlstack/openshift`: OpenShift runs the same in-cluster backing services as plain Kubernetes
 * (Strimzi, CloudNativePG, ObjectBucketClaims from OpenShift Data Foundation); what differs is
 * decided by the `openshift` cluster flavor in the components' context (Routes instead of Ingress,
 * OLM Subscriptions instead of Helm charts, restricted-v2 SCC, the OAuth proxy in front of MLflow).
 * Loads no cloud SDK.
 */
export * from "./kubernetes";
