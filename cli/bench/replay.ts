/**
 * The replay floor's program: registers a recorded plan's resources again (./registrationRecording.ts)
 * with the same types, names, parents, inputs and options, through the Pulumi SDK's generic
 * resource classes alone. No mlstack code runs, and no provider SDK is loaded: what is left is the
 * cost Pulumi's runtime itself charges for those registrations, which the plan cannot go below.
 *
 * Imports nothing from this repository but a type, so the floor's process loads only @pulumi/pulumi.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Registration } from "./registrationRecording";

/** The runtime's secret sentinel (`specialSigKey` / `specialSecretSig` in @pulumi/pulumi runtime/rpc.js). */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Recorded inputs back to SDK inputs: each secret sentinel becomes `pulumi.secret(value)` again. */
function sdkInput(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sdkInput);
  if (typeof value !== "object" || value === null) return value;
  const record = value as Record<string, unknown>;
  if (record[SECRET_SIG_KEY] === SECRET_SIG) return pulumi.secret(sdkInput(record.value));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) out[key] = sdkInput(record[key]);
  return out;
}

const PROVIDER_PREFIX = "pulumi:providers:";

/** The SDK declares these two abstract; a plain subclass adds nothing but a public constructor. */
class ReplayedCustomResource extends pulumi.CustomResource {}
class ReplayedProviderResource extends pulumi.ProviderResource {}

/**
 * Registers every registration in order (parents are registered before their children, as the
 * recording lists them). Call inside a Pulumi stack; returns the resources by the plan's URN.
 */
export function replayRegistrations(registrations: readonly Registration[]): Map<string, pulumi.Resource> {
  const byUrn = new Map<string, pulumi.Resource>();
  for (const r of registrations) {
    const parent = r.parent ? byUrn.get(r.parent) : undefined;
    if (r.parent && !parent && !r.parent.includes("::pulumi:pulumi:Stack::")) {
      throw new Error(`replay: ${r.urn} names parent ${r.parent}, which is not registered before it`);
    }
    const provider = r.provider ? byUrn.get(r.provider) : undefined;
    if (r.provider && !provider) {
      throw new Error(`replay: ${r.urn} names provider ${r.provider}, which is not registered before it`);
    }
    const options: pulumi.CustomResourceOptions = {
      parent,
      ...(r.protect ? { protect: true } : {}),
      ...(r.retainOnDelete ? { retainOnDelete: true } : {}),
      ...(provider ? { provider: provider as pulumi.ProviderResource } : {}),
      ...(r.version ? { version: r.version } : {}),
    };
    const inputs = sdkInput(r.inputs) as pulumi.Inputs;
    const resource = r.type.startsWith(PROVIDER_PREFIX)
      ? new ReplayedProviderResource(r.type.slice(PROVIDER_PREFIX.length), r.name, inputs, options)
      : r.custom
        ? new ReplayedCustomResource(r.type, r.name, inputs, options)
        : new pulumi.ComponentResource(r.type, r.name, inputs, options);
    byUrn.set(r.urn, resource);
  }
  return byUrn;
}
