/** Target `kubernetes`: any conformant cluster (kind, minikube, bare metal, managed), everything in-cluster. */
import { inClusterTarget } from "./inCluster";

export const kubernetesTarget = inClusterTarget();
