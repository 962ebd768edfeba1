import { CertificateAuthority } from "../../../components/pki/CertificateAuthority";
import { render } from "../../support/render";

describe("CertificateAuthority", () => {
  it("creates a self-signed CA restricted to signing", async () => {
    const r = await render(() => {
      new CertificateAuthority("kafka-ca", { commonName: "mlstack dev kafka CA" });
    });
    const cert = r.inputs(r.one("tls:index/selfSignedCert:SelfSignedCert"));
    expect(cert.isCaCertificate).toBe(true);
    expect(cert.allowedUses).toEqual(["cert_signing", "crl_signing", "digital_signature"]);
    expect(cert.validityPeriodHours).toBe(5 * 365 * 24);
    expect(r.inputs(r.one("tls:index/privateKey:PrivateKey")).algorithm).toBe("ECDSA");
  });

  it("issues server certificates for serverAuth with the given DNS names", async () => {
    const r = await render(() => {
      const ca = new CertificateAuthority("pg-ca", { commonName: "pg CA" });
      ca.issue("server", {
        commonName: "postgres-rw",
        usage: "server",
        dnsNames: ["postgres-rw", "postgres-rw.ns.svc"],
      });
    });
    const signed = r.inputs(r.one("tls:index/locallySignedCert:LocallySignedCert"));
    expect(signed.allowedUses).toContain("server_auth");
    expect(signed.allowedUses).not.toContain("client_auth");
    expect(r.inputs(r.one("tls:index/certRequest:CertRequest")).dnsNames).toEqual([
      "postgres-rw",
      "postgres-rw.ns.svc",
    ]);
    expect(r.one("tls:index/locallySignedCert:LocallySignedCert").name).toBe("pg-ca-server-cert");
  });

  it("issues client certificates for clientAuth only", async () => {
    const r = await render(() => {
      new CertificateAuthority("clients", { commonName: "clients CA" }).issue("app", {
        commonName: "app",
        usage: "client",
      });
    });
    expect(r.inputs(r.one("tls:index/locallySignedCert:LocallySignedCert")).allowedUses).toEqual([
      "digital_signature",
      "key_encipherment",
      "client_auth",
    ]);
  });

  it("refuses a server certificate without DNS names", async () => {
    await expect(
      render(() => {
        new CertificateAuthority("ca", { commonName: "ca" }).issue("srv", {
          commonName: "srv",
          usage: "server",
        });
      }),
    ).rejects.toThrow("server certificate srv needs at least one DNS name");
  });

  it("refuses an out-of-range CA validity before registering anything", () => {
    expect(() => new CertificateAuthority("ca", { commonName: "ca", validityYears: 50 })).toThrow(
      "validityYears 50 is not a whole number from 1 to 20",
    );
  });
});
