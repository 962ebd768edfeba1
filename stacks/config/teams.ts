/** `mlstack:teams`: each team's name, groups, members and quota; the namespace is derived here. */
import { SUBJECT_NAME_RULE, isSubjectName } from "../../components/kube/rbacSubjects";
import { ENVIRONMENT_DEFAULTS } from "./defaults";
import { DNS_LABEL, DNS_LABEL_RULE, Reader } from "./reader";
import type { Environment, TeamConfig } from "./types";

export function parseTeams(
  r: Reader,
  value: unknown,
  environment: Environment,
  prefix: string,
): TeamConfig[] {
  const env = ENVIRONMENT_DEFAULTS[environment];
  const items = r.array(value, "teams");
  const teams = items.map((item, i): TeamConfig => {
    const path = `teams[${i}]`;
    const obj = r.object(item, path);
    r.knownKeys(obj, path, ["name", "groups", "members", "quota"]);
    const name = r.string(obj, "name", path, "", DNS_LABEL, DNS_LABEL_RULE);
    if (obj.name === undefined) r.fail(`${path}.name`, undefined, "is required");
    if (name === "platform" || name === "operators")
      r.fail(`${path}.name`, name, "is reserved for the platform's own namespaces; choose another team name");
    const groups = r.stringList(obj, "groups", path, [], isSubjectName, SUBJECT_NAME_RULE);
    if (groups.length === 0)
      r.fail(
        `${path}.groups`,
        obj.groups,
        "must list at least one group (the team's RBAC binding has no subject otherwise)",
      );
    const quota = r.object(obj.quota, `${path}.quota`);
    r.knownKeys(quota, `${path}.quota`, ["cpu", "memory", "gpu", "pods", "storage"]);
    return {
      name,
      namespace: `${prefix}${name}`,
      groups,
      members: r.stringList(obj, "members", path, [], isSubjectName, SUBJECT_NAME_RULE),
      quota: {
        cpu: r.quantity(quota, "cpu", `${path}.quota`, env.quota.cpu),
        memory: r.quantity(quota, "memory", `${path}.quota`, env.quota.memory),
        gpu: r.integer(quota, "gpu", `${path}.quota`, 0, 0, 1024),
        pods: r.integer(quota, "pods", `${path}.quota`, 50, 1, 10000),
        storage: r.quantity(quota, "storage", `${path}.quota`, env.quota.storage),
      },
    };
  });
  if (items.length === 0 && value !== undefined) r.fail("teams", value, "must declare at least one team");
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
