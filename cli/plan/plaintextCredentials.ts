/**
 * Credentials written in plain text in a stack file (not `secure:`): found by the key that holds
 * them (`password`, `token`, `secretAccessKey`, …) or by what the value looks like (a PEM private
 * key, an AWS access key id or secret key, a URL or connection string with a password, a
 * kubeconfig with embedded credentials). `mlstack plan` names the key, never the value, and
 * redacts the value in every file it writes. Policy (see cli/plan/README.md): a warning in `dev`,
 * a refusal (exit 2) in `staging` and `prod`, where a leaked credential reaches real systems.
 */

/** What replaces a plaintext credential in every file `mlstack plan` writes (`mlstack diff` treats it as secret). */
export const REDACTED = "[redacted]";

export interface PlaintextCredential {
  /** The config key and the path inside its value: `mlstack:objectStore.buckets[0].secretKey`. */
  key: string;
  /** The top-level config key (`mlstack:objectStore`), to point at its line in the stack file. */
  configKey: string;
  /** Why it counts as a credential (never the value itself). */
  reason: string;
  /** The value, kept only to redact it. */
  value: string;
}

/**
 * Key names that hold a credential, compared lowercase without `-`, `_` and `.`. A key that ends
 * with `Name`, `Ref` or `File` (`credentialsSecret: team-s3`, `tokenSecretName`) names where a
 * credential lives, not the credential, and is left alone.
 */
const CREDENTIAL_KEY =
  /(password|passwd|passphrase|pwd|token|apikey|secretkey|secretaccesskey|privatekey|clientsecret|sharedsecret|authkey|^secret)$/;

const VALUE_PATTERNS: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a PEM private key"],
  // AWS access key ids: AKIA (long-term) and ASIA (temporary), 20 characters (AWS IAM user guide,
  // "Understanding unique ID prefixes": https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html).
  [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/, "an AWS access key id"],
  [/^[a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:[^\s@/]+@/i, "a URL with a password"],
  [/(^|;)\s*(password|pwd)\s*=\s*[^;\s]+/i, "a connection string with a password"],
  [/\b(client-key-data|token|password)\s*:\s*\S{8,}/, "a kubeconfig with embedded credentials"],
  [/\b(gh[pousr]_[A-Za-z0-9]{36}|xox[abpr]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{16,})\b/, "an API token"],
];

/**
 * An AWS secret access key is 40 characters of base64; requiring upper case, lower case and a
 * digit keeps git SHAs (lower-case hex) and words out.
 */
const looksLikeAwsSecretKey = (value: string) =>
  /^[A-Za-z0-9/+]{40}$/.test(value) && /[A-Z]/.test(value) && /[a-z]/.test(value) && /[0-9]/.test(value);

/** Why a string under key `name` is a credential, or undefined. */
export function credentialReason(name: string | undefined, value: string): string | undefined {
  if (value.trim() === "") return undefined;
  const normalized = (name ?? "").toLowerCase().replace(/[-_.]/g, "");
  if (normalized && CREDENTIAL_KEY.test(normalized)) return `its key "${name}" names a credential`;
  for (const [pattern, what] of VALUE_PATTERNS)
    if (pattern.test(value)) return `its value looks like ${what}`;
  if (looksLikeAwsSecretKey(value)) return "its value looks like an AWS secret access key";
  return undefined;
}

function walk(
  value: unknown,
  key: string,
  leafName: string | undefined,
  configKey: string,
  out: PlaintextCredential[],
): void {
  if (typeof value === "string") {
    const reason = credentialReason(leafName, value);
    if (reason) out.push({ key, configKey, reason, value });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, `${key}[${i}]`, leafName, configKey, out));
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) walk(v, `${key}.${k}`, k, configKey, out);
  }
}

/**
 * Plaintext credentials among a stack's config values (full keys → values as the engine passes
 * them: structured values as JSON text). Keys in `secretKeys` came from `secure:` and are skipped.
 */
export function findPlaintextCredentials(
  config: Readonly<Record<string, string>>,
  secretKeys: readonly string[],
): PlaintextCredential[] {
  const found: PlaintextCredential[] = [];
  for (const [configKey, text] of Object.entries(config)) {
    if (secretKeys.includes(configKey)) continue;
    let value: unknown = text;
    if (/^\s*[[{]/.test(text)) {
      try {
        value = JSON.parse(text);
      } catch {
        // a plain string that starts with a bracket
      }
    }
    // The key's own name is the part after the namespace: `aws:secretKey` → `secretKey`.
    walk(value, configKey, configKey.split(":").pop(), configKey, found);
  }
  return found;
}

/**
 * Values shorter than this are replaced only where a whole string equals them: replacing a
 * two-letter password inside every string would mangle the files and still not hide it.
 */
const MIN_SUBSTRING_LENGTH = 6;

/** `value` with every credential replaced by REDACTED, at any depth (strings, arrays, objects). */
export function redactCredentials(value: unknown, credentials: readonly string[]): unknown {
  if (credentials.length === 0) return value;
  if (typeof value === "string") return redactText(value, credentials);
  if (Array.isArray(value)) return value.map((v) => redactCredentials(v, credentials));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactCredentials(v, credentials)]));
  }
  return value;
}

/** `text` with each credential (as written, and as it appears escaped inside JSON) replaced. */
export function redactText(text: string, credentials: readonly string[]): string {
  let out = text;
  for (const secret of credentials) {
    if (out === secret) return REDACTED;
    if (secret.length < MIN_SUBSTRING_LENGTH) continue;
    out = out.split(secret).join(REDACTED);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) out = out.split(escaped).join(REDACTED);
  }
  return out;
}
