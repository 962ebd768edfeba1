/** Which operator versions or channels to install (`mlstack:operators`). */

export interface OperatorConfig {
  /** Helm chart version (kubernetes) / OLM channel (openshift). */
  version: string;
  channel: string;
}

export interface OperatorsConfig {
  /** Install Strimzi, CloudNativePG (and KServe when a model uses it); false = assume present. Default: true on kubernetes, false on openshift. */
  install: boolean;
  strimzi: OperatorConfig;
  cloudnativePg: OperatorConfig;
  /** The CloudNativePG Barman Cloud backup plugin (Helm chart version; kubernetes only). */
  barmanCloud: OperatorConfig;
  kserve: OperatorConfig;
  /** Namespace for operators installed by Helm. Default `<prefix>operators`. */
  namespace: string;
}
