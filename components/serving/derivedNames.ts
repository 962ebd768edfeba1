/**
 * Every name derived from a model's name that must fit a Kubernetes grammar, as `ModelServing`
 * and the controllers acting on its objects build them.
 */
import type { DerivedName } from "../kube/derivedNames";
import { kservePredictorName } from "./inferenceService";
import type { ModelConfig } from "./settings";

/**
 * - the model's Service (and `app.kubernetes.io/name` label): the model name, a DNS-1035 label;
 * - KServe (RawDeployment) names the predictor Service `<isvc>-predictor` and labels its pods
 *   `app: isvc.<isvc>-predictor` (kserve/kserve pkg/constants/constants.go, `PredictorServiceName`
 *   and `GetRawServiceLabel`);
 * - KEDA names the HPA of a ScaledObject `keda-hpa-<scaledobject>` and labels it
 *   `app.kubernetes.io/name: keda-hpa-<scaledobject>` (kedacore/keda controllers/keda/hpa.go,
 *   `newHPAForScaledObject`); streaming models scale through a ScaledObject named after the model.
 */
export function modelDerivedNames(model: Pick<ModelConfig, "name" | "engine" | "kafka">): DerivedName[] {
  const names: DerivedName[] = [{ name: model.name, grammar: "dns1035Label", what: "the model's Service" }];
  if (model.engine === "kserve") {
    const predictor = kservePredictorName(model);
    names.push(
      { name: predictor, grammar: "dns1035Label", what: "the predictor Service KServe creates" },
      {
        name: `isvc.${predictor}`,
        grammar: "labelValue",
        what: "the app label KServe puts on the predictor pods",
      },
    );
  }
  if (model.kafka) {
    names.push({
      name: `keda-hpa-${model.name}`,
      grammar: "labelValue",
      what: "the app.kubernetes.io/name label KEDA puts on the model's HorizontalPodAutoscaler",
    });
  }
  return names;
}
