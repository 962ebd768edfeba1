/** `mlstack:teams`: each team's name, groups, members and quota; the namespace is derived here. */
import type { Static } from "@sinclair/typebox";
import { ENVIRONMENT_DEFAULTS } from "./defaults";
import { DNS_LABEL, DNS_LABEL_RULE, Reader } from "./reader";
import { Int, List, Opt, Quantity, Str, Strict } from "./schemaKinds";
import type { Environment, TeamConfig } from "./types";

export const TeamSchema = Strict({
  name: Str(DNS_LABEL, DNS_LABEL_RULE, {
    description: "the team's name; its namespace is <namespacePrefix><name>",
  }),
  groups: List(Str("rbac-subject"), {
    minItems: 1,
    errorMessage: "must list at least one group (the team's RBAC binding has no subject otherwise)",
    description: "identity-provider groups bound to the team's namespaced role",
  }),
  members: Opt(List(Str("rbac-subject"), { description: "individual users also bound to the role" })),
  quota: Opt(
    Strict({
      cpu: Opt(Quantity({ description: "CPU requests of the namespace (default per environment)" })),
      memory: Opt(Quantity({ description: "memory requests of the namespace (default per environment)" })),
      gpu: Opt(Int(0, 1024, { default: 0 })),
      pods: Opt(Int(1, 10000, { default: 50 })),
      storage: Opt(Quantity({ description: "persistent volume claims' storage (default per environment)" })),
    }),
  ),
});
export const TeamsSchema = List(TeamSchema, {
  minItems: 1,
  errorMessage: "must declare at least one team",
  description: "the teams of the platform, one namespace each",
});

export function parseTeams(
  r: Reader,
  value: Static<typeof TeamsSchema> | undefined,
  environment: Environment,
  prefix: string,
): TeamConfig[] {
  const env = ENVIRONMENT_DEFAULTS[environment];
  const teams = (value ?? []).map((team, i): TeamConfig => {
    const name = team.name ?? "";
    if (name === "platform" || name === "operators")
      r.fail(
        `teams[${i}].name`,
        name,
        "is reserved for the platform's own namespaces; choose another team name",
      );
    const quota = team.quota ?? {};
    return {
      name,
      namespace: `${prefix}${name}`,
      groups: team.groups ?? [],
      members: team.members ?? [],
      quota: {
        cpu: quota.cpu ?? env.quota.cpu,
        memory: quota.memory ?? env.quota.memory,
        gpu: quota.gpu ?? 0,
        pods: quota.pods ?? 50,
        storage: quota.storage ?? env.quota.storage,
      },
    };
  });
  r.unique(teams, "teams", "team");
  for (const team of teams) {
    if (team.namespace.length > 63)
      r.fail(
        `teams`,
        team.name,
        `gives namespace "${team.namespace}" longer than 63 characters; shorten the team name or mlstack:namespacePrefix`,
      );
  }
  return teams;
}
