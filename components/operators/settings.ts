/** Which operator versions or channels to install (`mlstack:operators`). */

export interface OperatorConfig {
  /**
   * The operator's release: the Helm chart version on kubernetes; on openshift the version table
   * turns it into the Subscription's `startingCSV`. Default: the version table's pin.
   */
  version: string;
  /** OLM channel (openshift). */
  channel: string;
}

/** A cluster add-on the platform's operators need, installed when needed unless the cluster has it. */
export interface AddonConfig {
  install: boolean;
  /** Helm chart version. Default: the version table's pin. */
  version: string;
}

export interface OperatorsConfig {
  /** Install Strimzi, CloudNativePG (and KServe when a model uses it); false = assume present. Default: true on kubernetes, false on openshift. */
  install: boolean;
  strimzi: OperatorConfig;
  cloudnativePg: OperatorConfig;
  /** The CloudNativePG Barman Cloud backup plugin (Helm chart version; kubernetes only). */
  barmanCloud: OperatorConfig;
  kserve: OperatorConfig;
  /**
   * KEDA (kubernetes): installed when a streaming model scales on consumer lag and `install` is
   * true. Default: true on kubernetes, false on openshift (OperatorHub's Custom Metrics Autoscaler).
   */
  keda: AddonConfig;
  /**
   * cert-manager (kubernetes): installed when the Barman Cloud plugin or KServe is and `install` is
   * true. Default: true on kubernetes, false on openshift (OperatorHub's cert-manager Operator).
   */
  certManager: AddonConfig;
  /**
   * OpenShift AI components besides KServe (openshift, when KServe is installed): component name
   * (`dashboard`, `workbenches`, `datasciencepipelines`, ...) to `Managed` or `Removed`. Default:
   * every one `Removed` (the platform asks OpenShift AI for model serving only).
   */
  openshiftAi: Record<string, string>;
  /** Namespace for operators installed by Helm. Default `<prefix>operators`. */
  namespace: string;
}
