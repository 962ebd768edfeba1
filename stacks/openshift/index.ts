/**
 * Target `openshift`: the same in-cluster services as plain Kubernetes; the differences live in
 * the components and follow from `ctx.flavor`: restricted-v2 assigns UIDs (none are fixed),
 * operators come from OLM, exposure is a Route, MLflow sits behind the OpenShift OAuth proxy.
 */
import { inClusterTarget } from "../kubernetes/inCluster";

export const openshiftTarget = inClusterTarget();
