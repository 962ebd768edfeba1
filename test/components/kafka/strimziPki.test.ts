import { createPrivateKey, createPublicKey } from "node:crypto";
import { StrimziKafka } from "../../../components/kafka/StrimziKafka";
import { MOCK_CERT_START, mockCertPem, only, renderWithPki } from "./pkiMocks";
import { config, identity, kafkaArgs } from "./strimziFixtures";

const SECRET = "kubernetes:core/v1:Secret";
const KEY = "tls:index/privateKey:PrivateKey";

function publicKeyOf(pem: string): string {
  return createPublicKey(createPrivateKey(pem)).export({ type: "spki", format: "pem" }).toString();
}

async function grantFraudDetector(authentication: "scram-sha-512" | "tls") {
  const c = config({ kafka: { authentication } });
  return renderWithPki(() => {
    const kafka = new StrimziKafka("kafka", kafkaArgs(c));
    kafka.grantTopicAccess(
      identity(c, "fraud-detector", "fraud"),
      { read: ["transactions"], write: [] },
      { parent: kafka },
    );
  });
}

describe("StrimziKafka certificates and keys", () => {
  it("hands Strimzi the listener key as PKCS #8, which Kafka's PEM keystore requires", async () => {
    const records = await grantFraudDetector("scram-sha-512");
    const secret = only(records, SECRET, "listener-cert").inputs.stringData;
    const issuedKey = only(records, KEY, "ca-listener-key").state.privateKeyPem as string;
    expect(issuedKey).toContain("BEGIN EC PRIVATE KEY");
    expect(secret["tls.key"]).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(publicKeyOf(secret["tls.key"])).toBe(publicKeyOf(issuedKey));
  });

  it("sends the listener certificate followed by the CA that issued it", async () => {
    const records = await grantFraudDetector("scram-sha-512");
    const secret = only(records, SECRET, "listener-cert").inputs.stringData;
    expect(secret["tls.crt"]).toBe(mockCertPem("kafka-ca-listener-cert") + mockCertPem("kafka-ca-cert"));
  });

  it("puts the listener CA certificate, and only it, in the workload's CA Secret", async () => {
    const records = await grantFraudDetector("scram-sha-512");
    expect(only(records, SECRET, "fraud-detector-kafka-ca").inputs.stringData).toEqual({
      "ca.crt": mockCertPem("kafka-ca-cert"),
    });
  });

  it("installs the clients CA certificate and its PKCS #8 key, the certificate generation following its start time", async () => {
    const records = await grantFraudDetector("tls");
    const cert = only(records, SECRET, "clients-ca-cert-secret").inputs;
    const key = only(records, SECRET, "clients-ca-key-secret").inputs;
    expect(cert.stringData).toEqual({ "ca.crt": mockCertPem("kafka-clients-ca-cert") });
    expect(cert.metadata.annotations).toEqual({
      "strimzi.io/ca-cert-generation": String(Date.parse(MOCK_CERT_START) / 3_600_000),
    });
    expect(key.stringData["ca.key"]).toBe(only(records, KEY, "clients-ca-key").state.privateKeyPemPkcs8);
    expect(key.stringData["ca.key"]).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it("signs the client certificate with the clients CA and hands the workload a PKCS #8 key", async () => {
    const records = await grantFraudDetector("tls");
    const signed = only(
      records,
      "tls:index/locallySignedCert:LocallySignedCert",
      "clients-ca-fraud-detector",
    );
    expect(signed.inputs.caCertPem).toBe(mockCertPem("kafka-clients-ca-cert"));
    expect(signed.inputs.caPrivateKeyPem).toBe(only(records, KEY, "clients-ca-key").state.privateKeyPem);
    const credentials = only(records, SECRET, "fraud-detector-kafka-credentials").inputs.stringData;
    expect(credentials["tls.crt"]).toBe(mockCertPem("kafka-clients-ca-fraud-detector-cert"));
    expect(credentials["tls.key"]).toBe(
      only(records, KEY, "clients-ca-fraud-detector-key").state.privateKeyPemPkcs8,
    );
  });

  it("never signs client certificates with the listener's CA", async () => {
    const records = await grantFraudDetector("tls");
    const listenerCaKey = only(records, KEY, "kafka-ca-key").state.privateKeyPem;
    const clientCert = only(
      records,
      "tls:index/locallySignedCert:LocallySignedCert",
      "clients-ca-fraud-detector",
    );
    expect(clientCert.inputs.caPrivateKeyPem).not.toBe(listenerCaKey);
  });
});
