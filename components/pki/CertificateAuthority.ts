/**
 * A private certificate authority held in Pulumi state (private keys as Pulumi secrets).
 *
 * In-cluster services (Kafka listeners, Postgres) are issued server certificates by it so that
 * the CA certificate — public — can be handed to every client namespace, letting clients verify
 * the server (`verify-full`) without copying operator-generated Secrets across namespaces at
 * runtime. Certificates are re-issued by `pulumi up` once they enter their early-renewal window.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface CertificateAuthorityArgs {
  /** Subject common name, e.g. `mlstack dev kafka CA`. */
  commonName: string;
  /** CA validity. Default 5 years: long enough that rotation is a planned event, short enough to happen. */
  validityYears?: number;
  /** Subject organization. Default `mlstack`. */
  organization?: string;
}

export interface IssueArgs {
  commonName: string;
  /** DNS SANs (server certificates). */
  dnsNames?: string[];
  /** `server` → serverAuth; `client` → clientAuth. */
  usage: "server" | "client";
  /** Validity. Default 365 days, re-issued 30 days before expiry on the next `pulumi up`. */
  validityDays?: number;
}

export interface IssuedCertificate {
  certPem: pulumi.Output<string>;
  /** PEM private key, a Pulumi secret. */
  privateKeyPem: pulumi.Output<string>;
}

const HOURS_PER_DAY = 24;

/**
 * The CA's key and certificate, kept beside the instance rather than in fields: Pulumi's component
 * analyzer publishes every field, private ones too, as an output of the package schema
 * (@pulumi/pulumi 3.270.0, provider/experimental/analyzer.js), and the key must not be one.
 * Accessors are not read as outputs.
 */
interface CaInternals {
  name: string;
  key: tls.PrivateKey;
  cert: tls.SelfSignedCert;
}
const internals = new WeakMap<CertificateAuthority, CaInternals>();

export class CertificateAuthority extends pulumi.ComponentResource {
  /** CA certificate (public): what clients trust. */
  readonly certPem: pulumi.Output<string>;
  private get key(): tls.PrivateKey {
    return (internals.get(this) as CaInternals).key;
  }
  private get cert(): tls.SelfSignedCert {
    return (internals.get(this) as CaInternals).cert;
  }
  private get componentName(): string {
    return (internals.get(this) as CaInternals).name;
  }

  constructor(name: string, args: CertificateAuthorityArgs, opts?: pulumi.ComponentResourceOptions) {
    const validityYears = args.validityYears ?? 5;
    if (!Number.isInteger(validityYears) || validityYears < 1 || validityYears > 20) {
      throw new Error(
        `CertificateAuthority ${name}: validityYears ${JSON.stringify(args.validityYears)} is not a whole number from 1 to 20`,
      );
    }
    if (!args.commonName) throw new Error(`CertificateAuthority ${name}: commonName is required`);
    super("mlstack:pki:CertificateAuthority", name, {}, opts);
    // ECDSA P-256: supported by the JVM (Kafka), OpenSSL (libpq, Python) and Go clients.
    const key = new tls.PrivateKey(
      `${name}-key`,
      { algorithm: "ECDSA", ecdsaCurve: "P256" },
      { parent: this },
    );
    const cert = new tls.SelfSignedCert(
      `${name}-cert`,
      {
        privateKeyPem: key.privateKeyPem,
        isCaCertificate: true,
        validityPeriodHours: validityYears * 365 * HOURS_PER_DAY,
        earlyRenewalHours: 90 * HOURS_PER_DAY,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        subject: { commonName: args.commonName, organization: args.organization ?? "mlstack" },
      },
      { parent: this },
    );
    internals.set(this, { name, key, cert });
    this.certPem = cert.certPem;
    this.registerOutputs({ certPem: this.certPem });
  }

  /** Issues a leaf certificate signed by this CA; `name` must be unique among this CA's certificates. */
  issue(name: string, args: IssueArgs): IssuedCertificate {
    const validityDays = args.validityDays ?? 365;
    if (!Number.isInteger(validityDays) || validityDays < 2 || validityDays > 825) {
      throw new Error(
        `CertificateAuthority ${this.componentName}: validityDays ${validityDays} for ${name} is not a whole number from 2 to 825`,
      );
    }
    if (args.usage === "server" && (args.dnsNames ?? []).length === 0) {
      throw new Error(
        `CertificateAuthority ${this.componentName}: server certificate ${name} needs at least one DNS name`,
      );
    }
    const child = `${this.componentName}-${name}`;
    const key = new tls.PrivateKey(
      `${child}-key`,
      { algorithm: "ECDSA", ecdsaCurve: "P256" },
      { parent: this },
    );
    const request = new tls.CertRequest(
      `${child}-csr`,
      { privateKeyPem: key.privateKeyPem, subject: { commonName: args.commonName }, dnsNames: args.dnsNames },
      { parent: this },
    );
    const cert = new tls.LocallySignedCert(
      `${child}-cert`,
      {
        certRequestPem: request.certRequestPem,
        caPrivateKeyPem: this.key.privateKeyPem,
        caCertPem: this.cert.certPem,
        validityPeriodHours: validityDays * HOURS_PER_DAY,
        earlyRenewalHours: Math.min(30, Math.floor(validityDays / 2)) * HOURS_PER_DAY,
        allowedUses: [
          "digital_signature",
          "key_encipherment",
          args.usage === "server" ? "server_auth" : "client_auth",
        ],
      },
      { parent: this },
    );
    return { certPem: cert.certPem, privateKeyPem: pulumi.secret(key.privateKeyPem) };
  }
}
