/**
 * Names of RBAC subjects (users and groups) a team binding may name. Kubernetes accepts any string
 * there; mlstack refuses what can only be a mistake or a hole:
 *
 * - whitespace around the name or control characters in it (a newline would also split the YAML
 *   and the audit log line);
 * - `system:` identities: `system:authenticated` is every authenticated user, `system:unauthenticated`
 *   and `system:anonymous` every anonymous request, and the rest of `system:` names the cluster's own
 *   components (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-subjects:
 *   "The prefix system: is reserved for Kubernetes system use").
 */

/** The identities Kubernetes gives to everyone, or to every anonymous request. */
export const PUBLIC_SYSTEM_SUBJECTS = ["system:authenticated", "system:unauthenticated", "system:anonymous"];

export const SUBJECT_NAME_RULE =
  "a user or group name: not empty, no surrounding spaces, no control characters (newlines, tabs)";

/** A name an RBAC binding may carry (see the file comment). */
export function isSubjectName(value: string): boolean {
  return value !== "" && value === value.trim() && !/[\u0000-\u001f\u007f]/.test(value);
}

/** Why a team may not bind this subject, or undefined when it may. */
export function systemSubjectProblem(value: string): string | undefined {
  if (PUBLIC_SYSTEM_SUBJECTS.includes(value)) {
    return `is a Kubernetes system identity that stands for ${value === "system:authenticated" ? "every authenticated user" : "every anonymous request"}; bind the team's own groups`;
  }
  if (value.startsWith("system:")) {
    return "is in the system: namespace Kubernetes reserves for its own components (e.g. system:authenticated is every user); bind the team's own groups";
  }
  return undefined;
}
