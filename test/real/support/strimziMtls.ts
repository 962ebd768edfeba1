/**
 * What a Strimzi cluster with mutual TLS asks of Kafka and of its clients, read from a stack rendered
 * with `mlstack:kafka.authentication: tls` (the same config parsing and program `mlstack plan` runs,
 * under the same mock runtime), so the real broker and certificates come from the component's
 * output instead of a copy of it:
 *
 * - the listener: the rendered Kafka's one listener with `authentication.type: tls`. Strimzi names it
 *   `<NAME>-<port>` upper-cased and configures it (KafkaBrokerConfigurationBuilder
 *   .configureAuthentication, `KafkaListenerAuthenticationTls` branch) with security protocol SSL,
 *   `ssl.client.auth=required` and the clients CA as its only truststore; it writes no
 *   `ssl.principal.mapping.rules`, so Kafka's `DEFAULT` applies and a client's principal is its
 *   certificate's whole subject DN (RFC 2253), `CN=<name>` for a subject of only a common name.
 *   Read in cluster-operator/src/main/java/io/strimzi/operator/cluster/model/
 *   KafkaBrokerConfigurationBuilder.java, strimzi/strimzi-kafka-operator at
 *   876672b707d84460fab7265ac886025c8df1a328 (the version the source index stores; the file at the
 *   pinned 1.2.0 is not in it). That recent releases still leave the mapping at Kafka's DEFAULT, so a
 *   `tls-external` user is `User:CN=<name>`, is stated by Strimzi's maintainers in
 *   https://github.com/orgs/strimzi/discussions/12670 and in Red Hat Streams for Apache Kafka 3.0's
 *   "Configuring user authentication" (ACLs of a tls-external user name `CN=USER-NAME`);
 * - the clients CA: with `spec.clientsCa.generateCertificateAuthority: false` Strimzi trusts the
 *   `ca.crt` of the `<cluster>-clients-ca-cert` Secret the component renders; its certificate is the
 *   `tls` SelfSignedCert that Secret carries;
 * - the workload's certificate: the `tls.crt` of its `<workload>-<cluster>-credentials` Secret, a
 *   LocallySignedCert whose request (CertRequest) holds the subject and whose issuer must be that
 *   same clients CA.
 *
 * Under the mock runtime certificates are placeholders (`MOCK-<resource name>`, cli/mockRuntime.ts)
 * and every key is one shared key, so the certificates are made here with openssl from the rendered
 * inputs: subject, CA flag and allowed uses. Keys are fresh EC P-256 keys, one per certificate, the
 * algorithm StrimziClientsCa gives the CA and every client (components/kafka/strimziClientsCa.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { RecordedResource } from "../../../cli/mockRuntime";
import { runUnderMocks } from "../../../cli/mockRuntime";
import type { PlanResult } from "../../../cli/plan";
import { loadStackConfig } from "../../../cli/plan/stackConfig";
import { deployPlatform } from "../../../stacks";
import { parseConfig, platformKeys } from "../../../stacks/config";
import type { KafkaListenerOptions } from "./kafka";
import { openssl } from "./kafka";
import { REPO_ROOT } from "./pythonEnv";
import { inputsOf, secretData } from "./renderedStack";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered inputs are untyped JSON */

/** A shipped stack rendered as `mlstack plan` renders it, with its Kafka on mutual TLS. */
export async function renderedMtlsStack(stack = "dev"): Promise<PlanResult> {
  const stackConfig = loadStackConfig(REPO_ROOT, stack);
  const key = "mlstack:kafka";
  const kafka = JSON.parse(stackConfig.config[key] ?? "{}");
  const config = { ...stackConfig.config, [key]: JSON.stringify({ ...kafka, authentication: "tls" }) };
  const parsed = parseConfig(platformKeys(config), { project: stackConfig.project, stack });
  const run = await runUnderMocks(() => deployPlatform(parsed) as unknown as Record<string, unknown>, {
    project: stackConfig.project,
    stack,
    config,
    secretKeys: stackConfig.secretKeys,
  });
  return {
    config: parsed,
    stackConfig: { ...stackConfig, config },
    resources: run.resources,
    defaultProviders: run.defaultProviders,
    outputs: run.outputs,
    plaintextCredentials: [],
    warnings: [],
  };
}

/** A certificate subject as `@pulumi/tls` takes it. */
export interface RenderedSubject {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
  province?: string;
  locality?: string;
  postalCode?: string;
  serialNumber?: string;
}

/** What a rendered certificate asks for. */
export interface RenderedCertificate {
  /** The `tls` resource's name. */
  resource: string;
  subject: RenderedSubject;
  isCa: boolean;
  allowedUses: string[];
}

export interface RenderedMtls {
  /** Strimzi's listener identifier (`TLS-9093`) and what it is configured with, but the truststore file. */
  listener: { name: string; protocol: "SSL"; settings: Record<string, string> };
  /** The clients CA the listener trusts. */
  clientsCa: RenderedCertificate;
  /** The workload's client certificate, issued by `clientsCa`. */
  client: RenderedCertificate;
}

function byName(plan: PlanResult, type: string, name: string): any {
  const found = plan.resources.filter((r: RecordedResource) => r.type === type && r.name === name);
  if (found.length !== 1) throw new Error(`the render has ${found.length} ${type} named ${name}`);
  return inputsOf(found[0]);
}

/** The `tls` resource a mocked PEM stands for (`MOCK-<name>`, cli/mockRuntime.ts). */
function mockedResource(pem: string | undefined, what: string): string {
  const name = /^-----BEGIN [A-Z ]+-----\nMOCK-(.+)\n/.exec(pem ?? "")?.[1];
  if (!name) throw new Error(`${what} is not a certificate of the render: ${JSON.stringify(pem)}`);
  return name;
}

function certificate(plan: PlanResult, type: string, resource: string): RenderedCertificate {
  const inputs = byName(plan, type, resource);
  const subject =
    type === "tls:index/selfSignedCert:SelfSignedCert"
      ? inputs.subject
      : byName(
          plan,
          "tls:index/certRequest:CertRequest",
          mockedResource(inputs.certRequestPem, `${resource}'s certRequestPem`),
        ).subject;
  return {
    resource,
    subject: subject ?? {},
    isCa: inputs.isCaCertificate === true,
    allowedUses: inputs.allowedUses ?? [],
  };
}

/** The mutual-TLS listener, clients CA and one workload's certificate of a rendered cluster. */
export function renderedMtls(plan: PlanResult, clusterName: string, workload: string): RenderedMtls {
  const kafka = plan.resources
    .map(inputsOf)
    .filter(
      (o: any) =>
        o?.kind === "Kafka" &&
        o.metadata?.name === clusterName &&
        String(o.apiVersion).startsWith("kafka.strimzi.io/"),
    );
  if (kafka.length !== 1)
    throw new Error(`the render has ${kafka.length} Kafka resources named ${clusterName}`);
  const { spec, metadata } = kafka[0];
  const mutual = (spec.kafka.listeners ?? []).filter((l: any) => l.authentication?.type === "tls");
  if (mutual.length !== 1 || mutual[0].tls !== true) {
    throw new Error(
      `Kafka ${clusterName}: expected one TLS listener with authentication tls, found ${JSON.stringify(spec.kafka.listeners)}`,
    );
  }
  if (spec.clientsCa?.generateCertificateAuthority !== false) {
    throw new Error(
      `Kafka ${clusterName}: the clients CA is Strimzi's own (clientsCa.generateCertificateAuthority is not false)`,
    );
  }
  const listener = {
    name: `${mutual[0].name}-${mutual[0].port}`.toUpperCase(),
    protocol: "SSL" as const,
    settings: { "ssl.client.auth": "required", "ssl.principal.mapping.rules": "DEFAULT" },
  };

  const caPem = secretData(plan, metadata.namespace, `${clusterName}-clients-ca-cert`)["ca.crt"];
  const clientsCa = certificate(
    plan,
    "tls:index/selfSignedCert:SelfSignedCert",
    mockedResource(caPem, `Secret ${clusterName}-clients-ca-cert ca.crt`),
  );

  const credentials = plan.resources
    .map(inputsOf)
    .filter(
      (o: any) => o?.kind === "Secret" && o.metadata?.name === `${workload}-${clusterName}-credentials`,
    );
  if (credentials.length !== 1)
    throw new Error(`the render has ${credentials.length} Secrets ${workload}-${clusterName}-credentials`);
  const clientPem = credentials[0].stringData?.["tls.crt"];
  const clientResource = mockedResource(clientPem, `Secret ${workload}-${clusterName}-credentials tls.crt`);
  const issuer = byName(plan, "tls:index/locallySignedCert:LocallySignedCert", clientResource).caCertPem;
  if (mockedResource(issuer, `${clientResource}'s caCertPem`) !== clientsCa.resource) {
    throw new Error(
      `${workload}'s certificate is issued by ${issuer}, not by the clients CA the listener trusts (${clientsCa.resource})`,
    );
  }
  return {
    listener,
    clientsCa,
    client: certificate(plan, "tls:index/locallySignedCert:LocallySignedCert", clientResource),
  };
}

/** The listener as startKafka takes it: the rendered settings plus the clients CA file as its truststore. */
export function mtlsListener(mtls: RenderedMtls, clientsCaFile: string): KafkaListenerOptions {
  return {
    name: mtls.listener.name,
    protocol: mtls.listener.protocol,
    settings: {
      ...mtls.listener.settings,
      "ssl.truststore.type": "PEM",
      "ssl.truststore.location": clientsCaFile,
    },
  };
}

/**
 * `@pulumi/tls` subject fields in the order Go's `pkix.Name.ToRDNSequence` writes them (C, ST, L,
 * postalCode, O, OU, CN, serialNumber), as openssl `-subj` components.
 */
const SUBJECT_FIELDS: Array<[keyof RenderedSubject, string]> = [
  ["country", "C"],
  ["province", "ST"],
  ["locality", "L"],
  ["postalCode", "postalCode"],
  ["organization", "O"],
  ["organizationalUnit", "OU"],
  ["commonName", "CN"],
  ["serialNumber", "serialNumber"],
];

function subjectArg(subject: RenderedSubject): string {
  const known = new Set(SUBJECT_FIELDS.map(([field]) => field as string));
  const unknown = Object.keys(subject).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new Error(`subject fields ${unknown.join(", ")} are not made here`);
  return SUBJECT_FIELDS.filter(([field]) => subject[field] !== undefined)
    .map(([field, attribute]) => `/${attribute}=${String(subject[field]).replace(/[/\\]/g, "\\$&")}`)
    .join("");
}

/** `@pulumi/tls` allowed uses → X.509 key usage / extended key usage names. */
const KEY_USAGES: Record<string, string> = {
  digital_signature: "digitalSignature",
  key_encipherment: "keyEncipherment",
  cert_signing: "keyCertSign",
  crl_signing: "cRLSign",
};
const EXTENDED_KEY_USAGES: Record<string, string> = { client_auth: "clientAuth", server_auth: "serverAuth" };

function extensions(cert: RenderedCertificate): string {
  const unknown = cert.allowedUses.filter((u) => !(u in KEY_USAGES) && !(u in EXTENDED_KEY_USAGES));
  if (unknown.length > 0)
    throw new Error(`${cert.resource}: allowed uses ${unknown.join(", ")} are not made here`);
  const keyUsage = cert.allowedUses.filter((u) => u in KEY_USAGES).map((u) => KEY_USAGES[u]);
  const extended = cert.allowedUses
    .filter((u) => u in EXTENDED_KEY_USAGES)
    .map((u) => EXTENDED_KEY_USAGES[u]);
  return [
    `basicConstraints=critical,CA:${cert.isCa ? "TRUE" : "FALSE"}`,
    ...(keyUsage.length ? [`keyUsage=critical,${keyUsage.join(",")}`] : []),
    ...(extended.length ? [`extendedKeyUsage=${extended.join(",")}`] : []),
    "subjectKeyIdentifier=hash",
    ...(cert.isCa ? [] : ["authorityKeyIdentifier=keyid"]),
    "",
  ].join("\n");
}

/** PEM files of a certificate made here and its PKCS #8 key. */
export interface CertificateFiles {
  cert: string;
  key: string;
}

/**
 * Makes a certificate with what `spec` asks for, in `dir` as `<file>.crt` / `<file>.key`: self-signed
 * when `issuer` is absent, else signed by it.
 */
export function makeCertificate(
  dir: string,
  file: string,
  spec: RenderedCertificate,
  issuer?: CertificateFiles,
): CertificateFiles {
  const files = { cert: path.join(dir, `${file}.crt`), key: path.join(dir, `${file}.key`) };
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", files.key], dir);
  fs.writeFileSync(path.join(dir, `${file}.ext`), extensions(spec));
  const subject = subjectArg(spec.subject);
  openssl(["req", "-new", "-key", files.key, "-subj", subject, "-out", `${file}.csr`], dir);
  const signer = issuer
    ? ["-CA", issuer.cert, "-CAkey", issuer.key, "-CAcreateserial"]
    : ["-signkey", files.key];
  openssl(
    ["x509", "-req", "-in", `${file}.csr`, ...signer, "-days", "2"].concat([
      "-extfile",
      `${file}.ext`,
      "-out",
      files.cert,
    ]),
    dir,
  );
  return files;
}
