/**
 * The server certificate of a Strimzi cluster's client listener (`brokerCertChainAndKey`), issued
 * by a Pulumi-held CertificateAuthority so that the CA certificate, which is public, can be put in
 * every client namespace. Strimzi's own cluster CA lives only in the Kafka namespace and is rotated
 * by the operator, so clients elsewhere could neither mount nor pin it.
 *
 * Two facts the certificate has to meet:
 * - SANs for the bootstrap Service and every broker, as clients reach them: an `internal`
 *   listener advertises `<pod>.<cluster>-kafka-brokers.<namespace>.svc`, so a wildcard under the
 *   brokers' headless Service covers every node of every pool, present and future;
 * - a PKCS #8 private key: since Strimzi 0.49 the brokers load listener keystores as PEM through
 *   Kafka's `ssl.keystore.type=PEM`, which accepts PKCS #8 only (Strimzi documents this
 *   requirement for `brokerCertChainAndKey`); an EC key in SEC 1 form would stop the broker.
 */
import { createPrivateKey } from "node:crypto";

/** Name of the listener, which also names the Kubernetes objects Strimzi derives from it. */
export const LISTENER_NAME = "tls";
/** The listener port clients connect to. */
export const LISTENER_PORT = 9093;
/** Keys of the listener certificate Secret (`kubernetes.io/tls` layout). */
export const LISTENER_CERT_KEY = "tls.crt";
export const LISTENER_KEY_KEY = "tls.key";

/** The bootstrap Service Strimzi creates for a cluster. */
export function bootstrapServiceName(cluster: string): string {
  return `${cluster}-kafka-bootstrap`;
}

/** DNS names the listener certificate must carry: bootstrap Service and brokers, short to fully qualified. */
export function listenerDnsNames(cluster: string, namespace: string): string[] {
  const qualified = (host: string) => [
    host,
    `${host}.${namespace}`,
    `${host}.${namespace}.svc`,
    `${host}.${namespace}.svc.cluster.local`,
  ];
  return [...qualified(bootstrapServiceName(cluster)), ...qualified(`*.${cluster}-kafka-brokers`)];
}

/** PEM blocks concatenated into one bundle (leaf first), each ending with a newline; absent ones skipped. */
export function pemBundle(...pems: Array<string | undefined>): string {
  return pems
    .filter((pem): pem is string => Boolean(pem))
    .map((pem) => (pem.endsWith("\n") ? pem : `${pem}\n`))
    .join("");
}

/** Any PEM private key (SEC 1, PKCS #1 or PKCS #8) re-encoded as unencrypted PKCS #8 PEM. */
export function toPkcs8Pem(pem: string): string {
  return createPrivateKey({ key: pem, format: "pem" }).export({ type: "pkcs8", format: "pem" }).toString();
}
