/**
 * Validates Kubernetes objects against upstream OpenAPI schemas, through kubernetes-models
 * (built-in kinds) and its CloudNativePG, Prometheus Operator and KEDA packages. Kinds without
 * a maintained schema package (Strimzi, KServe, ObjectBucketClaim, OpenShift Route, OLM) are
 * returned as `unchecked` so tests can say exactly what was not validated.
 */

type Model = { validate(): void };
type ModelClass = new (data: Record<string, unknown>) => Model;

function modulePath(apiVersion: string, kind: string): string | undefined {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "") return `kubernetes-models/v1/${kind}`;
  if (group.endsWith(".k8s.io") || ["apps", "batch", "autoscaling", "policy"].includes(group)) {
    return `kubernetes-models/${group}/${version}/${kind}`;
  }
  if (group === "postgresql.cnpg.io") return `@kubernetes-models/cloudnative-pg/${group}/${version}/${kind}`;
  if (group === "monitoring.coreos.com")
    return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  if (group === "keda.sh") return `@kubernetes-models/keda/${group}/${version}/${kind}`;
  return undefined;
}

export interface SchemaResult {
  /** `Kind/name: message` for each invalid object. */
  errors: string[];
  checked: number;
  /** apiVersion/kind of objects no schema package covers. */
  unchecked: string[];
}

export function validateObjects(objects: Array<Record<string, unknown>>): SchemaResult {
  const result: SchemaResult = { errors: [], checked: 0, unchecked: [] };
  for (const object of objects) {
    const apiVersion = String(object.apiVersion);
    const kind = String(object.kind);
    const name = (object.metadata as { name?: string } | undefined)?.name;
    const path = modulePath(apiVersion, kind);
    let model: ModelClass | undefined;
    if (path) {
      try {
        const loaded = require(path) as Record<string, ModelClass>;
        model = loaded[kind];
      } catch {
        model = undefined;
      }
    }
    if (!model) {
      result.unchecked.push(`${apiVersion}/${kind}`);
      continue;
    }
    try {
      new model(object).validate();
      result.checked++;
    } catch (err) {
      result.errors.push(`${kind}/${name}: ${(err as Error).message}`);
    }
  }
  result.unchecked = [...new Set(result.unchecked)].sort();
  return result;
}
