import { GcpKms, serviceAgentEmail } from "../../components/kms/gcp";
import { render } from "../support/render";

const base = {
  project: "acme-ml-test",
  projectNumber: "123456789012",
  location: "europe-west4",
  environment: "prod",
};

describe("GcpKms", () => {
  it("creates one key ring and one key per data domain, rotated at most every 90 days", async () => {
    const r = await render(() => {
      new GcpKms("kms", { ...base, protect: false });
    });
    expect(r.inputs(r.one("gcp:kms/keyRing:KeyRing"))).toMatchObject({
      project: "acme-ml-test",
      location: "europe-west4",
    });
    const keys = r.ofType("gcp:kms/cryptoKey:CryptoKey");
    expect(keys.map((k) => k.name)).toEqual(["kms-kafka", "kms-postgres", "kms-storage"]);
    for (const key of keys) {
      const inputs = r.inputs(key);
      expect(inputs.rotationPeriod).toBe("7776000s");
      expect(inputs.purpose).toBe("ENCRYPT_DECRYPT");
      expect(inputs.versionTemplate).toEqual({
        algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION",
        protectionLevel: "SOFTWARE",
      });
      expect(inputs.labels).toMatchObject({ "mlstack-environment": "prod", "mlstack-team": "platform" });
    }
  });

  it("rotates faster and keeps material in Cloud HSM when asked", async () => {
    const r = await render(() => {
      new GcpKms("kms", {
        ...base,
        protect: false,
        rotationDays: 30,
        protectionLevel: "HSM",
        domains: ["postgres"],
      });
    });
    const key = r.inputs(r.one("gcp:kms/cryptoKey:CryptoKey"));
    expect(key.rotationPeriod).toBe("2592000s");
    expect(key.versionTemplate.protectionLevel).toBe("HSM");
  });

  it("grants each service agent encrypter/decrypter on exactly its own key", async () => {
    const r = await render(() => {
      new GcpKms("kms", { ...base, protect: false });
    });
    const grants = r.ofType("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember").map((g) => r.inputs(g));
    expect(grants).toHaveLength(3);
    expect(grants.every((g) => g.role === "roles/cloudkms.cryptoKeyEncrypterDecrypter")).toBe(true);
    expect(grants.map((g) => [g.cryptoKeyId, g.member])).toEqual([
      ["kms-kafka-id", "serviceAccount:service-123456789012@gcp-sa-managedkafka.iam.gserviceaccount.com"],
      ["kms-postgres-id", "serviceAccount:service-123456789012@gcp-sa-cloud-sql.iam.gserviceaccount.com"],
      ["kms-storage-id", "serviceAccount:service-123456789012@gs-project-accounts.iam.gserviceaccount.com"],
    ]);
    expect(r.ofType("gcp:kms/keyRingIAMMember:KeyRingIAMMember")).toHaveLength(0);
    expect(r.ofType("gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding")).toHaveLength(0);
  });

  it("makes the Cloud SQL and Managed Kafka service agents exist before granting them", async () => {
    const r = await render(() => {
      new GcpKms("kms", { ...base, protect: false });
    });
    expect(
      r
        .ofType("gcp:projects/serviceIdentity:ServiceIdentity")
        .map((s) => r.inputs(s).service)
        .sort(),
    ).toEqual(["managedkafka.googleapis.com", "sqladmin.googleapis.com"]);
    expect(serviceAgentEmail("1234567", "storage")).toBe(
      "service-1234567@gs-project-accounts.iam.gserviceaccount.com",
    );
  });

  it("protects the ring and keys when the stack is protected, and only then", async () => {
    const prod = await render(() => {
      new GcpKms("kms", { ...base, protect: true });
    });
    for (const r of [
      ...prod.ofType("gcp:kms/keyRing:KeyRing"),
      ...prod.ofType("gcp:kms/cryptoKey:CryptoKey"),
    ]) {
      expect([r.name, r.protect, r.retainOnDelete]).toEqual([r.name, true, true]);
    }
    const dev = await render(() => {
      new GcpKms("kms", { ...base, environment: "dev", protect: false });
    });
    expect(dev.ofType("gcp:kms/cryptoKey:CryptoKey").some((k) => k.protect)).toBe(false);
  });

  it("refuses a rotation longer than 90 days, a bad project number or a repeated domain", () => {
    expect(() => new GcpKms("kms", { ...base, protect: false, rotationDays: 91 })).toThrow(
      "GcpKms kms: rotationDays 91 is not a whole number from 1 to 90",
    );
    expect(() => new GcpKms("kms", { ...base, protect: false, projectNumber: "acme" })).toThrow(
      'projectNumber "acme" is not a project number',
    );
    expect(() => new GcpKms("kms", { ...base, protect: false, domains: ["kafka", "kafka"] })).toThrow(
      "must list each of kafka, postgres, storage at most once",
    );
  });

  it("names the domains it has when asked for another", async () => {
    await render(() => {
      const kms = new GcpKms("kms", { ...base, protect: false, domains: ["kafka"] });
      expect(() => kms.key("storage")).toThrow('GcpKms kms: no key for domain "storage" (keys: kafka)');
    });
  });
});
