/**
 * A mock runtime that, unlike the shared one, gives `@pulumi/tls` resources real-looking outputs:
 * genuine EC P-256 keys (SEC 1 and PKCS #8 PEM, as the provider returns them), recognisable
 * certificate PEMs and a fixed start time. It lets the Strimzi tests check what the certificate
 * Secrets actually contain (PKCS #8 listener key, chain order, CA generation), which the shared
 * mocks cannot show because they leave every tls output undefined.
 */
import { generateKeyPairSync } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { revealSecrets } from "../../../cli/mockRuntime";

/** The start time every mocked certificate reports. */
export const MOCK_CERT_START = "2025-06-01T00:00:00Z";

export interface PkiRecord {
  type: string;
  name: string;
  /** Inputs with secrets revealed. */
  inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Outputs the mock returned. */
  state: Record<string, unknown>;
}

export function mockCertPem(name: string): string {
  return `-----BEGIN CERTIFICATE-----\nMOCK-${name}\n-----END CERTIFICATE-----\n`;
}

function tlsState(type: string, name: string): Record<string, unknown> {
  if (type === "tls:index/privateKey:PrivateKey") {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    return {
      privateKeyPem: privateKey.export({ type: "sec1", format: "pem" }).toString(),
      privateKeyPemPkcs8: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    };
  }
  if (
    type === "tls:index/selfSignedCert:SelfSignedCert" ||
    type === "tls:index/locallySignedCert:LocallySignedCert"
  ) {
    return { certPem: mockCertPem(name), validityStartTime: MOCK_CERT_START };
  }
  if (type === "tls:index/certRequest:CertRequest") {
    return {
      certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\nMOCK-${name}\n-----END CERTIFICATE REQUEST-----\n`,
    };
  }
  return {};
}

/** Runs `program` under these mocks and returns every registered resource in order. */
export async function renderWithPki(program: () => void): Promise<PkiRecord[]> {
  const recorded: PkiRecord[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = (args.inputs ?? {}) as Record<string, unknown>;
        const state = { ...inputs, ...tlsState(args.type, args.name) };
        recorded.push({
          type: args.type,
          name: args.name,
          inputs: revealSecrets(inputs) as Record<string, unknown>,
          state,
        });
        return { id: args.custom === false ? undefined : `${args.name}-id`, state };
      },
      call(args) {
        return { ...args.inputs };
      },
    },
    "mlstack",
    "test",
    false,
  );
  let failure: unknown;
  await pulumi.runtime.runInPulumiStack(async () => {
    try {
      program();
    } catch (err) {
      failure = err;
    }
    return {};
  });
  // Registrations of children finish after the constructors return (see cli/mockRuntime).
  await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  if (failure) throw failure;
  return recorded;
}

/** The one record of a type whose name includes `nameIncludes`. */
export function only(records: PkiRecord[], type: string, nameIncludes: string): PkiRecord {
  const found = records.filter((r) => r.type === type && r.name.includes(nameIncludes));
  if (found.length !== 1)
    throw new Error(
      `expected one ${type} named *${nameIncludes}*, found ${found.map((r) => r.name).join(", ") || "none"}`,
    );
  return found[0];
}
