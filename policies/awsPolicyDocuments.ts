/**
 * AWS policy documents (IAM, bucket, key and trust policies) read into one shape, whether the
 * program passed an object or JSON text, and whatever the document spells as a string or a list.
 */
import { containsUnknown, isObject, isUnknown, jsonDocument, obj, Props, strings } from "./values";

export interface Statement {
  sid?: string;
  effect: string;
  actions: string[];
  notActions: string[];
  resources: string[];
  notResources: string[];
  /** `*` when the principal is everyone (`"*"` or `{"AWS": "*"}`), else principal values by kind. */
  principals: Record<string, string[]>;
  anyonePrincipal: boolean;
  condition: Props;
  /** Position in the document, for messages. */
  index: number;
}

/** A parsed document: statements, `unknown` when the document is not known yet, `invalid` when unreadable. */
export type PolicyDocument = { statements: Statement[] } | "unknown" | "invalid" | undefined;

function readPrincipal(principal: unknown): { principals: Record<string, string[]>; anyone: boolean } {
  if (principal === "*") return { principals: { AWS: ["*"] }, anyone: true };
  const principals: Record<string, string[]> = {};
  let anyone = false;
  for (const [kind, value] of Object.entries(obj(principal))) {
    principals[kind] = strings(value);
    if (kind === "AWS" && principals[kind].includes("*")) anyone = true;
  }
  return { principals, anyone };
}

/** Parses a policy document (object or JSON text). */
export function readPolicyDocument(value: unknown): PolicyDocument {
  if (value === undefined || value === null || value === "") return undefined;
  const doc = jsonDocument(value);
  if (isUnknown(doc)) return "unknown";
  if (!isObject(doc)) return "invalid";
  const raw = doc.Statement ?? doc.statement ?? doc.statements;
  if (containsUnknown(raw)) return "unknown";
  const list = Array.isArray(raw) ? raw : isObject(raw) ? [raw] : [];
  const statements = list.map((s, index): Statement => {
    const o = obj(s);
    const { principals, anyone } = readPrincipal(o.Principal ?? o.principals);
    return {
      sid: typeof o.Sid === "string" ? o.Sid : undefined,
      effect: String(o.Effect ?? o.effect ?? ""),
      actions: strings(o.Action ?? o.actions),
      notActions: strings(o.NotAction ?? o.notActions),
      resources: strings(o.Resource ?? o.resources),
      notResources: strings(o.NotResource ?? o.notResources),
      principals,
      anyonePrincipal: anyone,
      condition: obj(o.Condition ?? o.condition),
      index,
    };
  });
  return { statements };
}

/** Describes a statement for messages: `statement 1 (Sid "AllowRead")`. */
export function statementLabel(s: Statement): string {
  return `statement ${s.index}${s.sid ? ` (Sid "${s.sid}")` : ""}`;
}

/** The values of a condition key under any operator (`{"Bool": {"aws:SecureTransport": "false"}}`). */
export function conditionValues(condition: Props, operators: string[], key: string): string[] {
  const out: string[] = [];
  for (const op of operators) {
    for (const [k, v] of Object.entries(obj(condition[op]))) {
      if (k.toLowerCase() === key.toLowerCase())
        out.push(...strings(v).concat(typeof v === "boolean" ? [String(v)] : []));
    }
  }
  return out;
}
