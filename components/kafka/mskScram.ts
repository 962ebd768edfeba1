/**
 * SASL/SCRAM on MSK (`mlstack:aws.kafka.authentication: scram`): one Kafka user per workload, its
 * credentials in Secrets Manager (encrypted with the Kafka CMK, as MSK requires) and in a Secret
 * of the workload's namespace, and exactly its ACLs.
 *
 * MSK has no API for Kafka ACLs, so a Job applies them with `kafka-acls.sh`. The Job does not log
 * in with a password: the cluster keeps SASL/IAM enabled next to SCRAM, and the Job's own IRSA
 * role may alter ACLs on this cluster only (`kafka-cluster:AlterCluster`). IAM principals are
 * authorized by IAM, SCRAM principals by ACLs, and with `allow.everyone.if.no.acl.found=false`
 * a SCRAM user without an ACL can do nothing. The Job adds the desired ACLs first, then removes
 * every other ACL of that user, and `pulumi up` waits for it: access is exact when `up` returns.
 */
import type * as iam from "@pulumi/aws/iam";
import * as msk from "@pulumi/aws/msk";
import type { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as secretsmanager from "@pulumi/aws/secretsmanager";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createHash } from "crypto";
import type { PlatformContext } from "../context";
import { AwsAccount, physicalName } from "../identity/awsAccount";
import type { WorkloadIdentity } from "../identity/contract";
import { attachWorkloadPolicy, awsApiEgress } from "../identity/irsa";
import { cloudTags, kubeLabels, selectorLabels } from "../kube/labels";
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";
import type { TopicGrant } from "./contract";

const SCRIPT_DIR = "/opt/mlstack/kafka-acls";
const SCRIPT_FILE = "apply-acls.sh";
const ADMIN_APP = "kafka-acl-admin";

/**
 * Applies one SCRAM user's ACLs. Needs `kafka-acls.sh` (on PATH or in /opt/kafka/bin) and
 * aws-msk-iam-auth on the Java classpath. Inputs: KAFKA_BOOTSTRAP_SERVERS (the IAM listener),
 * ACL_PRINCIPAL (`User:<name>`), ACL_READ_TOPICS / ACL_WRITE_TOPICS (space-separated), ACL_GROUP.
 */
export const APPLY_ACLS_SCRIPT = `#!/bin/bash
set -euo pipefail
kafka_acls=$(command -v kafka-acls.sh || echo /opt/kafka/bin/kafka-acls.sh)
work=$(mktemp -d "\${TMPDIR:-/tmp}/acls.XXXXXX")
trap 'rm -rf "$work"' EXIT
props="$work/client.properties"
printf '%s\\n' \\
  'security.protocol=SASL_SSL' \\
  'sasl.mechanism=AWS_MSK_IAM' \\
  'sasl.jaas.config=software.amazon.msk.auth.iam.IAMLoginModule required;' \\
  'sasl.client.callback.handler.class=software.amazon.msk.auth.iam.IAMClientCallbackHandler' > "$props"
acls() { "$kafka_acls" --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" --command-config "$props" "$@"; }
flag() {
  case "$1" in
    TOPIC) echo --topic ;;
    GROUP) echo --group ;;
    CLUSTER) echo --cluster ;;
    TRANSACTIONAL_ID) echo --transactional-id ;;
    *) return 1 ;;
  esac
}

# Desired: "<TYPE> <name> <Operation>" lines.
desired="$work/desired"
: > "$desired"
for t in $ACL_READ_TOPICS; do printf 'TOPIC %s Read\\nTOPIC %s Describe\\n' "$t" "$t" >> "$desired"; done
for t in $ACL_WRITE_TOPICS; do printf 'TOPIC %s Write\\nTOPIC %s Describe\\n' "$t" "$t" >> "$desired"; done
if [ -n "$ACL_GROUP" ]; then printf 'GROUP %s Read\\nGROUP %s Describe\\n' "$ACL_GROUP" "$ACL_GROUP" >> "$desired"; fi
sort -u -o "$desired" "$desired"

# 1. Add what is desired (adding an existing ACL is a no-op), so access never dips below it.
while read -r type name op; do
  acls --add --allow-principal "$ACL_PRINCIPAL" --operation "$op" "$(flag "$type")" "$name" > /dev/null
done < "$desired"

# 2. Remove every other ACL of the principal: "<TYPE> <name> <Operation> <pattern> <permission>".
current="$work/current"
acls --list --principal "$ACL_PRINCIPAL" | awk -v principal="$ACL_PRINCIPAL" '
  function field(key,   value) {
    if (!match($0, key "=[^,)]*")) return ""
    return substr($0, RSTART + length(key) + 1, RLENGTH - length(key) - 1)
  }
  function pascal(op,   parts, n, i, out) {
    n = split(tolower(op), parts, "_")
    out = ""
    for (i = 1; i <= n; i++) out = out toupper(substr(parts[i], 1, 1)) substr(parts[i], 2)
    return out
  }
  /resourceType=/ { type = toupper(field("resourceType")); name = field("name"); pattern = tolower(field("patternType")); next }
  /\\(principal=/ {
    if (field("principal") != principal) next
    print type, name, pascal(field("operation")), pattern, toupper(field("permissionType"))
  }' > "$current"

removed=0
while read -r type name op pattern permission; do
  if [ "$pattern" = literal ] && [ "$permission" = ALLOW ] && grep -qxF "$type $name $op" "$desired"; then continue; fi
  resource_flag=$(flag "$type") || { echo "apply-acls: unexpected resource type $type on $ACL_PRINCIPAL" >&2; exit 1; }
  if [ "$permission" = ALLOW ]; then who=--allow-principal; else who=--deny-principal; fi
  acls --remove --force "$who" "$ACL_PRINCIPAL" --operation "$op" "$resource_flag" "$name" --resource-pattern-type "$pattern" > /dev/null
  removed=$((removed + 1))
done < "$current"
echo "apply-acls: $ACL_PRINCIPAL has $(wc -l < "$desired") ACL(s); removed $removed other(s)"
`;

/** The in-cluster part of SCRAM on MSK, which the stack provides (`MskKafkaArgs.scram`). */
export interface MskScramSettings {
  /** Namespace of the ACL Jobs (the platform namespace, default-deny). */
  platformNamespace: string;
  /** Identity of the ACL Job's ServiceAccount (issued by IrsaIdentityProvider for that namespace). */
  adminIdentity: WorkloadIdentity;
  /** Image with kafka-acls.sh and aws-msk-iam-auth (pinned; `mlstack:aws.kafka.aclJobImage`). */
  image: string;
  /** What in-cluster objects wait for (the namespace). */
  dependsOn: pulumi.Resource[];
}

export interface MskScramArgs extends MskScramSettings {
  ctx: PlatformContext;
  account: AwsAccount;
  clusterName: string;
  clusterArn: pulumi.Output<string>;
  /** The IAM listener, which the ACL Job uses. */
  iamBootstrapServers: pulumi.Output<string>;
  /** Kafka CMK: Secrets Manager secrets MSK reads must use a customer key. */
  kmsKeyArn: pulumi.Input<string>;
  network: { privateSubnetCidrs: string[]; awsApiCidrs: string[]; vpcCidr: string };
  /** `<project>-<stack>`, part of every secret name. */
  nameStem: string;
  provider?: AwsProvider;
  kubernetesProvider?: k8s.Provider;
}

/** What a SCRAM grant hands back: the workload's credentials Secret and what pods wait for. */
export interface ScramUser {
  username: string;
  secretName: string;
  dependsOn: pulumi.Resource[];
}

export class MskScram extends pulumi.ComponentResource {
  readonly adminServiceAccount: k8s.core.v1.ServiceAccount;
  readonly adminPolicy: iam.RolePolicy;
  readonly script: k8s.core.v1.ConfigMap;
  readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
  private readonly args: MskScramArgs;

  constructor(name: string, args: MskScramArgs, opts?: pulumi.ComponentResourceOptions) {
    const admin = args.adminIdentity.workload;
    if (admin.namespace !== args.platformNamespace) {
      throw new Error(
        `MskScram ${name}: adminIdentity is for namespace ${admin.namespace}, not the ACL Jobs' namespace ${args.platformNamespace}`,
      );
    }
    if (!/@sha256:[a-f0-9]{64}$|:[\w][\w.-]{0,127}$/.test(args.image) || args.image.endsWith(":latest")) {
      throw new Error(
        `MskScram ${name}: image ${JSON.stringify(args.image)} is not pinned to a tag or digest`,
      );
    }
    super("mlstack:kafka:MskScram", name, {}, opts);
    this.args = args;
    const labels = kubeLabels({
      name: ADMIN_APP,
      component: "kafka-acls",
      environment: args.ctx.environment,
      team: "platform",
    });
    const metadata = (objectName: string) => ({
      name: objectName,
      namespace: args.platformNamespace,
      labels,
    });
    const k8sOpts = { parent: this, dependsOn: args.dependsOn };

    this.adminServiceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-admin-sa`,
      {
        metadata: {
          ...metadata(admin.serviceAccountName),
          annotations: args.adminIdentity.serviceAccountAnnotations,
        },
        automountServiceAccountToken: false,
      },
      k8sOpts,
    );
    this.adminPolicy = attachWorkloadPolicy(
      args.adminIdentity,
      `MskScram ${name}`,
      `kafka-acl-admin-${args.clusterName}`.slice(0, 128),
      [
        {
          Sid: "AlterAclsOnThisCluster",
          Effect: "Allow",
          Action: ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:AlterCluster"],
          Resource: args.clusterArn,
        },
      ],
      { parent: this },
    );
    this.script = new k8s.core.v1.ConfigMap(
      `${name}-script`,
      { metadata: metadata(`${ADMIN_APP}-script`), data: { [SCRIPT_FILE]: APPLY_ACLS_SCRIPT } },
      k8sOpts,
    );
    this.networkPolicy = new k8s.networking.v1.NetworkPolicy(
      `${name}-egress`,
      {
        metadata: metadata(`${ADMIN_APP}-egress`),
        spec: {
          podSelector: { matchLabels: selectorLabels({ name: ADMIN_APP }) },
          policyTypes: ["Ingress", "Egress"],
          ingress: [],
          egress: [
            {
              to: args.network.privateSubnetCidrs.map((cidr) => ({ ipBlock: { cidr } })),
              ports: [{ protocol: "TCP", port: 9098 }],
            },
            awsApiEgress(args.network.awsApiCidrs, args.network.vpcCidr),
          ],
        },
      },
      k8sOpts,
    );
    this.registerOutputs({});
  }

  /** The Secret (in the workload's namespace) holding a workload's SCRAM username and password. */
  secretNameOf(workload: string): string {
    return `${workload}-kafka-scram`;
  }

  /** Creates the workload's SCRAM user and applies exactly `grant` as its ACLs. */
  grantUser(identity: WorkloadIdentity, grant: TopicGrant, opts: { parent: pulumi.Resource }): ScramUser {
    const { workload } = identity;
    const { args } = this;
    const username = workload.name;
    const awsOpts = { parent: opts.parent, provider: args.provider };
    const k8sOpts = { parent: opts.parent, provider: args.kubernetesProvider };
    const tags = cloudTags({
      environment: args.ctx.environment,
      team: workload.team,
      component: `kafka-user-${workload.name}`,
    });

    const password = new random.RandomPassword(
      `${workload.name}-kafka-scram-password`,
      { length: 40, special: false },
      { parent: opts.parent },
    );
    const credentials = pulumi.secret(pulumi.jsonStringify({ username, password: password.result }));
    const secret = new secretsmanager.Secret(
      `${workload.name}-kafka-scram`,
      {
        // MSK associates only secrets named AmazonMSK_* and encrypted with a customer key.
        name: `AmazonMSK_${physicalName([args.nameStem, workload.name], 60)}`,
        description: `SCRAM credentials of ${workload.namespace}/${workload.serviceAccountName} on ${args.clusterName}. Managed by Pulumi.`,
        kmsKeyId: args.kmsKeyArn,
        recoveryWindowInDays: 7,
        tags,
      },
      awsOpts,
    );
    // MSK attaches this policy itself on association; declaring it keeps it in state (no drift) and exact.
    const secretPolicy = new secretsmanager.SecretPolicy(
      `${workload.name}-kafka-scram`,
      {
        secretArn: secret.arn,
        blockPublicPolicy: true,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "AWSKafkaResourcePolicy",
              Effect: "Allow",
              Principal: { Service: "kafka.amazonaws.com" },
              Action: "secretsmanager:getSecretValue",
              Resource: secret.arn,
            },
          ],
        }),
      },
      awsOpts,
    );
    const version = new secretsmanager.SecretVersion(
      `${workload.name}-kafka-scram`,
      { secretId: secret.id, secretString: credentials },
      awsOpts,
    );
    const association = new msk.SingleScramSecretAssociation(
      `${workload.name}-kafka-scram`,
      { clusterArn: args.clusterArn, secretArn: secret.arn },
      { ...awsOpts, dependsOn: [version, secretPolicy] },
    );
    const secretName = this.secretNameOf(workload.name);
    const kubeSecret = new k8s.core.v1.Secret(
      `${workload.name}-kafka-scram`,
      {
        metadata: {
          name: secretName,
          namespace: workload.namespace,
          labels: kubeLabels({
            name: workload.name,
            component: "kafka-credentials",
            environment: args.ctx.environment,
            team: workload.team,
          }),
        },
        type: "Opaque",
        stringData: { username, password: password.result },
      },
      k8sOpts,
    );
    const job = this.aclJob(username, grant, opts);
    return { username, secretName, dependsOn: [kubeSecret, association, job] };
  }

  private aclJob(username: string, grant: TopicGrant, opts: { parent: pulumi.Resource }): k8s.batch.v1.Job {
    const { args } = this;
    const desired = {
      principal: `User:${username}`,
      read: [...grant.read].sort(),
      write: [...grant.write].sort(),
      group: grant.consumerGroup ?? "",
    };
    // Jobs are immutable: a new desired set is a new Job (created before the old one is deleted).
    const hash = createHash("sha256").update(JSON.stringify(desired)).digest("hex").slice(0, 8);
    const flavor = args.ctx.flavor;
    return new k8s.batch.v1.Job(
      `${username}-kafka-acls`,
      {
        metadata: {
          name: `${physicalName(["kafka-acls", username], 54)}-${hash}`,
          namespace: args.platformNamespace,
          labels: kubeLabels({
            name: ADMIN_APP,
            component: "kafka-acls",
            environment: args.ctx.environment,
            team: "platform",
          }),
        },
        spec: {
          backoffLimit: 4,
          activeDeadlineSeconds: 900,
          template: {
            metadata: {
              labels: kubeLabels({
                name: ADMIN_APP,
                component: "kafka-acls",
                environment: args.ctx.environment,
                team: "platform",
              }),
            },
            spec: {
              serviceAccountName: args.adminIdentity.workload.serviceAccountName,
              // IRSA's token arrives through the webhook's own projected volume; no API token is needed.
              automountServiceAccountToken: false,
              restartPolicy: "Never",
              securityContext: podSecurityContext(flavor),
              containers: [
                {
                  name: "apply-acls",
                  image: args.image,
                  command: ["/bin/bash", `${SCRIPT_DIR}/${SCRIPT_FILE}`],
                  env: [
                    { name: "KAFKA_BOOTSTRAP_SERVERS", value: args.iamBootstrapServers },
                    { name: "ACL_PRINCIPAL", value: desired.principal },
                    { name: "ACL_READ_TOPICS", value: desired.read.join(" ") },
                    { name: "ACL_WRITE_TOPICS", value: desired.write.join(" ") },
                    { name: "ACL_GROUP", value: desired.group },
                    { name: "AWS_REGION", value: args.account.region },
                    // kafka-run-class.sh writes logs under LOG_DIR; the root filesystem is read-only.
                    { name: "LOG_DIR", value: "/tmp/kafka-logs" },
                    { name: "KAFKA_HEAP_OPTS", value: "-Xms128m -Xmx256m" },
                  ],
                  resources: {
                    requests: { cpu: "100m", memory: "384Mi" },
                    limits: { cpu: "500m", memory: "512Mi" },
                  },
                  securityContext: containerSecurityContext(flavor),
                  volumeMounts: [
                    { name: "tmp", mountPath: "/tmp" },
                    { name: "script", mountPath: SCRIPT_DIR, readOnly: true },
                  ],
                },
              ],
              volumes: [
                { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
                { name: "script", configMap: { name: `${ADMIN_APP}-script`, defaultMode: 0o555 } },
              ],
            },
          },
        },
      },
      {
        parent: opts.parent,
        provider: args.kubernetesProvider,
        dependsOn: [
          this.adminServiceAccount,
          this.adminPolicy,
          this.script,
          this.networkPolicy,
          ...args.dependsOn,
        ],
      },
    );
  }
}
