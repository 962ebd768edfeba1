/**
 * Names that mlstack, an operator or a controller derives from a configured name (a model's Service,
 * KServe's predictor, KEDA's HorizontalPodAutoscaler label). A configured name can be valid on its
 * own and still produce a derived name Kubernetes refuses, which would fail only when the
 * controller acts, long after `pulumi up` reported success. Each component lists the names it
 * derives, and the pre-flight step checks them all before anything registers.
 */
import { isDns1035Label, isDns1123Label, isDns1123Subdomain, isLabelValue } from "./names";

/** The grammar a derived name must meet, with the limit it implies. */
export type DerivedNameGrammar = "dns1035Label" | "dns1123Label" | "dns1123Subdomain" | "labelValue";

export interface DerivedName {
  /** The derived name itself, e.g. `fraud-detector-predictor`. */
  name: string;
  grammar: DerivedNameGrammar;
  /** What it names and who derives it, e.g. "the predictor Service KServe creates". */
  what: string;
}

const GRAMMARS: Record<DerivedNameGrammar, { test: (value: string) => boolean; rule: string }> = {
  dns1035Label: { test: isDns1035Label, rule: "a DNS-1035 label of at most 63 characters" },
  dns1123Label: { test: isDns1123Label, rule: "a DNS-1123 label of at most 63 characters" },
  dns1123Subdomain: { test: isDns1123Subdomain, rule: "a DNS-1123 subdomain of at most 253 characters" },
  labelValue: { test: isLabelValue, rule: "a label value of at most 63 characters" },
};

/**
 * The first derived name that breaks its grammar, phrased to follow the configured value:
 * `gives <what> "<name>" (N characters), which must be <rule>`; undefined when all are valid.
 */
export function derivedNameProblem(names: DerivedName[]): string | undefined {
  for (const derived of names) {
    const grammar = GRAMMARS[derived.grammar];
    if (!grammar.test(derived.name)) {
      return `gives ${derived.what} "${derived.name}" (${derived.name.length} characters), which must be ${grammar.rule}; shorten the name`;
    }
  }
  return undefined;
}
