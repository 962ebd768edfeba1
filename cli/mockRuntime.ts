/**
 * Runs a Pulumi program under the SDK's mock runtime and records every resource it registers:
 * type, name, URN, parent, custom or component, and inputs. `mlstack plan` and the tests both
 * use it, so what the tests assert is exactly what `plan` shows.
 *
 * Pulumi's MockMonitor hands `newResource` the type, name and inputs but not the parent, so the
 * recorder extends it and notes the parent URN of each registration as it passes through.
 */
import { generateKeyPairSync } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as settings from "@pulumi/pulumi/runtime/settings";

export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  /** true for provider-managed resources, false for components (and remote components). */
  custom: boolean;
  /** Parent URN; undefined for the stack itself. */
  parent?: string;
  /** Inputs as the provider would receive them; secrets stay wrapped as Pulumi secret values. */
  inputs: Record<string, unknown>;
  /** Whether Pulumi options asked for protection. */
  protect: boolean;
  /** Whether the resource is retained when deleted. */
  retainOnDelete: boolean;
  /** URNs each input property depends on, as the engine records them (policies link companions by them). */
  propertyDependencies: Record<string, string[]>;
  /**
   * The provider reference (`<provider urn>::<id>`) of a custom resource: its explicit provider,
   * or the stack's default provider for its package (see MockRunResult.defaultProviders).
   */
  provider?: string;
}

export interface MockRunResult {
  resources: RecordedResource[];
  /**
   * The default providers the engine would create: one per package with a custom resource that
   * has no explicit provider, configured from that package's stack config keys (`aws:region`,
   * `gcp:project`, `kubernetes:context`, …; secret keys stay secret), as `pulumi preview` shows.
   */
  defaultProviders: RecordedResource[];
  /** Stack outputs, secrets still wrapped. */
  outputs: Record<string, unknown>;
}

export interface MockRunOptions {
  project: string;
  stack: string;
  /** Full config keys (`mlstack:target`) to string values, as the engine would pass them. */
  config?: Record<string, string>;
  /** Config keys holding secrets. */
  secretKeys?: string[];
  /** Simulate `pulumi preview` (unknown computed values) instead of `up`. */
  preview?: boolean;
  /**
   * The outputs of the stacks the program reads through `pulumi.StackReference`, by the stack name
   * it passes (`org/project/stack`). When given, a reference to a stack not listed fails the run;
   * when absent, a reference reads no outputs.
   */
  stackReferences?: Record<string, Record<string, unknown>>;
}

let mockKey: { sec1: string; pkcs8: string } | undefined;

/** One real EC P-256 key for every mocked `tls` private key: code that parses keys sees a real one. */
function mockPrivateKey(): { sec1: string; pkcs8: string } {
  if (!mockKey) {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    mockKey = {
      sec1: privateKey.export({ type: "sec1", format: "pem" }).toString(),
      pkcs8: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    };
  }
  return mockKey;
}

/** A fixed start time for mocked certificates, so anything derived from it is stable. */
export const MOCK_CERT_START = "2026-01-01T00:00:00Z";

/**
 * Provider-computed outputs the program builds names from (ARNs, endpoints), so a plan shows
 * `…/mock-uuid/…` rather than `…/undefined/…`. Values are recognisably fake.
 */
const MOCK_COMPUTED: Record<string, (name: string) => Record<string, unknown>> = {
  "aws:msk/cluster:Cluster": (name) => ({
    clusterUuid: `mock-uuid-${name}`,
    bootstrapBrokersSaslIam: `b-1.${name}.mock.kafka.amazonaws.com:9098,b-2.${name}.mock.kafka.amazonaws.com:9098`,
    bootstrapBrokersSaslScram: `b-1.${name}.mock.kafka.amazonaws.com:9096,b-2.${name}.mock.kafka.amazonaws.com:9096`,
  }),
  "aws:rds/instance:Instance": (name) => ({
    address: `${name}.mock.rds.amazonaws.com`,
    resourceId: `db-MOCK${name.toUpperCase().replace(/[^A-Z0-9]/g, "")}`,
    masterUserSecrets: [{ secretArn: `arn:mock:secretsmanager:${name}-master` }],
  }),
  "aws:rds/cluster:Cluster": (name) => ({
    endpoint: `${name}.cluster-mock.rds.amazonaws.com`,
    clusterResourceId: `cluster-MOCK${name.toUpperCase().replace(/[^A-Z0-9]/g, "")}`,
    masterUserSecrets: [{ secretArn: `arn:mock:secretsmanager:${name}-master` }],
  }),
};

/** Plausible computed outputs for the few resources whose outputs the program reads. */
function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  if (type === "tls:index/privateKey:PrivateKey") {
    const key = mockPrivateKey();
    return { ...inputs, privateKeyPem: key.sec1, privateKeyPemPkcs8: key.pkcs8, publicKeyPem: "" };
  }
  if (
    type === "tls:index/selfSignedCert:SelfSignedCert" ||
    type === "tls:index/locallySignedCert:LocallySignedCert"
  ) {
    return {
      ...inputs,
      certPem: `-----BEGIN CERTIFICATE-----\nMOCK-${name}\n-----END CERTIFICATE-----\n`,
      validityStartTime: MOCK_CERT_START,
    };
  }
  if (type === "tls:index/certRequest:CertRequest") {
    return {
      ...inputs,
      certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\nMOCK-${name}\n-----END CERTIFICATE REQUEST-----\n`,
    };
  }
  if (type.startsWith("kubernetes:")) {
    // Only identity comes back: mlstack reads a Kubernetes object's name and namespace, never
    // its spec or data, and echoing whole specs through the mock monitor dominated plan time.
    const metadata = (inputs.metadata ?? {}) as Record<string, unknown>;
    return {
      apiVersion: inputs.apiVersion,
      kind: inputs.kind,
      metadata: { ...metadata, name: metadata.name ?? name },
    };
  }
  if (
    type === "random:index/randomPassword:RandomPassword" ||
    type === "random:index/randomString:RandomString"
  ) {
    return { ...inputs, result: `mock-${name}`, bcryptHash: `$2a$10$mock${name}` };
  }
  if (type === "random:index/randomId:RandomId") {
    return { ...inputs, hex: "0a1b2c3d", b64Url: "CgsMDQ", dec: "168496141" };
  }
  const computed = MOCK_COMPUTED[type]?.(name) ?? {};
  return {
    ...inputs,
    arn: `arn:mock:${type}:${name}`,
    id: `${name}-id`,
    name: inputs.name ?? name,
    ...computed,
  };
}

interface RegisterRequest {
  getParent(): string;
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getProtect?(): boolean;
  getRetainondelete?(): boolean;
  getProvider?(): string;
  getVersion?(): string;
  getPropertydependenciesMap?(): {
    forEach(fn: (value: { getUrnsList(): string[] }, key: string) => void): void;
  };
}

type Callback = (err: unknown, resp: { getUrn(): string } | undefined) => void;

/** Adds parent / protect bookkeeping to the SDK's MockMonitor. */
class RecordingMonitor extends MockMonitor {
  readonly meta = new Map<
    string,
    {
      parent?: string;
      protect: boolean;
      retainOnDelete: boolean;
      propertyDependencies: Record<string, string[]>;
      provider: string;
      version: string;
    }
  >();

  async registerResource(req: RegisterRequest, callback: Callback): Promise<void> {
    const parent = req.getParent() || undefined;
    const protect = req.getProtect?.() ?? false;
    const retainOnDelete = req.getRetainondelete?.() ?? false;
    const provider = req.getProvider?.() ?? "";
    const version = req.getVersion?.() ?? "";
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap?.().forEach((deps, key) => {
      const urns = deps.getUrnsList();
      if (urns.length > 0) propertyDependencies[key] = urns;
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the base method is untyped in the SDK's declarations
    return (super.registerResource as any)(req, (err: unknown, resp: { getUrn(): string } | undefined) => {
      if (!err && resp)
        this.meta.set(resp.getUrn(), {
          parent,
          protect,
          retainOnDelete,
          propertyDependencies,
          provider,
          version,
        });
      callback(err, resp);
    });
  }
}

/**
 * Runs `program` as the body of a stack under mocks and returns what it registered.
 * Throws whatever the program throws (config errors included) before resolving.
 */
export async function runUnderMocks(
  program: () => Promise<Record<string, unknown> | void> | Record<string, unknown> | void,
  options: MockRunOptions,
): Promise<MockRunResult> {
  const recorded = new Map<string, RecordedResource>();
  const pending: PendingCall[] = [];
  const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
      const inputs = (args.inputs ?? {}) as Record<string, unknown>;
      pending.push({ type: args.type, name: args.name, custom: args.custom ?? true, inputs });
      if (args.type === STACK_REFERENCE && options.stackReferences)
        return stackReferenceState(args.id ?? args.name, options.stackReferences);
      return {
        id: args.custom === false ? undefined : `${args.name}-id`,
        state: mockState(args.type, args.name, inputs),
      };
    },
    call(args) {
      return answerProviderInvoke(args.token, args.provider, options.config ?? {}) ?? { ...args.inputs };
    },
  };
  const monitor = new RecordingMonitor(mocks);
  await pulumi.runtime.setMocks(mocks, options.project, options.stack, options.preview ?? false);
  // setMocks installs a fresh MockMonitor; put the recording one back with the same mocks.
  settings.setMockOptions(monitor, options.project, options.stack, options.preview ?? false);
  pulumi.runtime.setAllConfig(options.config ?? {}, options.secretKeys ?? []);

  // The SDK stamps a stack trace on every promise it creates (one per output property of every
  // resource) for leak diagnostics and source positions, which a mock run never shows: that was
  // the largest single cost of a plan. Set MLSTACK_STACK_TRACES=1 to keep them when debugging.
  const stackTraceLimit = Error.stackTraceLimit;
  if (!process.env.MLSTACK_STACK_TRACES) Error.stackTraceLimit = 0;
  try {
    return await runProgram(program, monitor, pending, recorded, options);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

const STACK_REFERENCE = "pulumi:pulumi:StackReference";

/** A StackReference reads its stack's outputs; under mocks they come from `MockRunOptions.stackReferences`. */
function stackReferenceState(
  stack: string,
  stacks: Record<string, Record<string, unknown>>,
): { id: string; state: Record<string, unknown> } {
  const outputs = stacks[stack];
  if (!outputs) {
    const known = Object.keys(stacks);
    throw new Error(
      `StackReference ${JSON.stringify(stack)}: no outputs given for that stack (stackReferences lists ${known.length > 0 ? known.map((k) => JSON.stringify(k)).join(", ") : "none"})`,
    );
  }
  return { id: stack, state: { name: stack, outputs, secretOutputNames: [] } };
}

type PendingCall = { type: string; name: string; custom: boolean; inputs: Record<string, unknown> };

async function runProgram(
  program: () => Promise<Record<string, unknown> | void> | Record<string, unknown> | void,
  monitor: RecordingMonitor,
  pending: PendingCall[],
  recorded: Map<string, RecordedResource>,
  options: MockRunOptions,
): Promise<MockRunResult> {
  let failure: unknown;
  const outputs = await pulumi.runtime
    .runInPulumiStack(async () => {
      try {
        return (await program()) ?? {};
      } catch (err) {
        failure = err;
        return {};
      }
    })
    .catch((err: unknown) => {
      failure = failure ?? err;
      return {};
    });
  // Outstanding registrations (children of components whose constructors returned) finish here.
  // `waitForRPCs` is marked internal in the SDK's declarations but is what `disconnect` awaits.
  await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  if (failure) throw failure;

  const registered = monitor.getRegisteredResources();
  // Pair the newResource calls with their URNs: the monitor registers them in call order.
  const byKey = new Map<string, Array<(typeof pending)[number]>>();
  for (const p of pending) {
    const key = `${p.type}::${p.name}`;
    const list = byKey.get(key) ?? [];
    list.push(p);
    byKey.set(key, list);
  }
  for (const urn of registered.keys()) {
    const parts = urn.split("::");
    const type = parts[2].split("$").pop() as string;
    const name = parts.slice(3).join("::");
    const candidates = byKey.get(`${type}::${name}`);
    const call = candidates?.shift();
    if (!call) continue;
    const meta = monitor.meta.get(urn);
    recorded.set(urn, {
      urn,
      type,
      name,
      custom: call.custom,
      parent: meta?.parent,
      inputs: call.inputs,
      protect: meta?.protect ?? false,
      retainOnDelete: meta?.retainOnDelete ?? false,
      propertyDependencies: meta?.propertyDependencies ?? {},
      provider: meta?.provider || undefined,
    });
  }
  const defaultProviders = assignDefaultProviders(recorded, monitor.meta, options);
  return {
    resources: [...recorded.values()],
    defaultProviders,
    outputs: outputs as Record<string, unknown>,
  };
}

/** Pulumi's unknown-value sentinel: a provider's id during preview (`unknownValue` in @pulumi/pulumi runtime/rpc.js). */
const UNKNOWN_ID = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A config value as a provider input: structured values decoded, secret keys wrapped as secrets. */
function providerInput(key: string, value: string, secretKeys: readonly string[]): unknown {
  let decoded: unknown = value;
  if (/^\s*[[{]/.test(value)) {
    try {
      decoded = JSON.parse(value);
    } catch {
      // a plain string that starts with a bracket
    }
  }
  return secretKeys.includes(key) ? { [SECRET_SIG_KEY]: SECRET_SIG, value: decoded } : decoded;
}

/**
 * Gives every custom resource without an explicit provider its package's default provider, the
 * way the engine does: `pulumi:providers:<package>::default_<version>`, configured from the
 * stack config keys in the package's namespace.
 */
function assignDefaultProviders(
  recorded: Map<string, RecordedResource>,
  meta: RecordingMonitor["meta"],
  options: MockRunOptions,
): RecordedResource[] {
  const providers = new Map<string, RecordedResource>();
  for (const resource of recorded.values()) {
    if (!resource.custom || resource.provider || resource.type.startsWith("pulumi:providers:")) continue;
    const pkg = resource.type.split(":")[0];
    const version = meta.get(resource.urn)?.version ?? "";
    const name = version ? `default_${version.replace(/[.+-]/g, "_")}` : "default";
    const key = `${pkg}::${name}`;
    let provider = providers.get(key);
    if (!provider) {
      const inputs: Record<string, unknown> = version ? { version } : {};
      for (const [configKey, value] of Object.entries(options.config ?? {})) {
        const [namespace, setting] = configKey.split(":");
        if (namespace === pkg && setting)
          inputs[setting] = providerInput(configKey, value, options.secretKeys ?? []);
      }
      const urn = `urn:pulumi:${options.stack}::${options.project}::pulumi:providers:${pkg}::${name}`;
      provider = {
        urn,
        type: `pulumi:providers:${pkg}`,
        name,
        custom: true,
        inputs,
        protect: false,
        retainOnDelete: false,
        propertyDependencies: {},
      };
      providers.set(key, provider);
    }
    resource.provider = `${provider.urn}::${UNKNOWN_ID}`;
  }
  return [...providers.values()];
}

/**
 * Invokes a default provider answers from its stack config, as the real provider would: the
 * region `aws:region` configures, the project, region and zone of `gcp:*`. Others (and invokes
 * through an explicit provider) echo their inputs, as Pulumi's mocks do by default.
 */
function answerProviderInvoke(
  token: string,
  provider: string | undefined,
  config: Readonly<Record<string, string>>,
): Record<string, unknown> | undefined {
  if (provider) return undefined;
  if (token === "aws:index/getRegion:getRegion" && config["aws:region"]) {
    const region = config["aws:region"];
    return { id: region, name: region, region, endpoint: `ec2.${region}.amazonaws.com`, description: region };
  }
  if (token === "gcp:organizations/getClientConfig:getClientConfig" && config["gcp:project"]) {
    return {
      id: config["gcp:project"],
      project: config["gcp:project"],
      region: config["gcp:region"] ?? "",
      zone: config["gcp:zone"] ?? "",
      accessToken: "",
      defaultLabels: {},
    };
  }
  return undefined;
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** True for a value the runtime marked secret (`pulumi.secret`, random passwords, secret config). */
export function isSecretValue(value: unknown): value is { value: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG
  );
}

/** Replaces every secret with `replacement` (for manifests and reports that must not leak). */
export function redactSecrets(value: unknown, replacement: unknown = "[secret]"): unknown {
  if (isSecretValue(value)) {
    // A secret map (a Secret's whole `stringData`) keeps its keys, so the object keeps its shape.
    const inner = value.value;
    return typeof inner === "object" && inner !== null ? hideLeaves(inner, replacement) : replacement;
  }
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, replacement));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, replacement)]));
  }
  return value;
}

function hideLeaves(value: unknown, replacement: unknown): unknown {
  if (isSecretValue(value)) return hideLeaves(value.value, replacement);
  if (Array.isArray(value)) return value.map((v) => hideLeaves(v, replacement));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hideLeaves(v, replacement)]));
  }
  return replacement;
}

/** Replaces every secret wrapper with its plain value (tests inspecting secret wiring). */
export function revealSecrets(value: unknown): unknown {
  if (isSecretValue(value)) return revealSecrets(value.value);
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealSecrets(v)]));
  }
  return value;
}
