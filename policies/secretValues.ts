/**
 * Telling credentials from configuration, by name and by value: a variable named like a password
 * (`PGPASSWORD`, `REDIS_AUTH`, `GCP_CREDENTIALS`) that holds a literal, and — whatever the name —
 * a value shaped like secret material (PEM private keys, AWS / GCP keys, JWTs, GitHub and Slack
 * tokens, passwords in URLs, connection strings and command-line flags).
 *
 * Findings name the variable, key or path and the kind of material, never the value: what a
 * detector returns is a description of the material, not the material.
 */
import { isUnknown, REDACTED_SECRET } from "./values";

/**
 * Words of an identifier, lower-cased: `MLFLOW_TRACKING_TOKEN` → mlflow, tracking, token;
 * `dbPassword` → db, password; `tls.key` → tls, key.
 */
export function identifierWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== "");
}

/** Name words that say a value is a credential. */
const SECRET_WORDS = new Set([
  "password",
  "passwd",
  "pwd",
  "passphrase",
  "secret",
  "token",
  "apikey",
  "credential",
  "credentials",
  "creds",
  "privatekey",
]);
/** Word endings that say the same inside one word (`PGPASSWORD`, `dbpasswd`, `clientsecret`, `authtoken`). */
const SECRET_SUFFIXES = ["password", "passwd", "secret", "token", "apikey", "privatekey"];
/** Last words that say the name refers to a secret without holding it (`TOKEN_PATH`, `SECRET_NAME`). */
const REFERENCE_WORDS = new Set([
  "file",
  "path",
  "dir",
  "name",
  "names",
  "ref",
  "id",
  "arn",
  "url",
  "uri",
  "endpoint",
  "host",
  "port",
  "type",
  "method",
  "mechanism",
  "algorithm",
  "length",
  "ttl",
  "expiry",
  "header",
  "issuer",
  "audience",
  "enabled",
  "serializer",
  "deserializer",
  "format",
  "version",
  "location",
  "mount",
  "provider",
]);

/**
 * Whether a variable, key or output name says it holds a credential: password, token, secret,
 * API key, private key, credentials, a name ending in `key` (`ACCESS_KEY`, `tls.key`) or `auth`
 * (`REDIS_AUTH`, `BASIC_AUTH`), or one word ending in such a word (`PGPASSWORD`) — unless its last
 * word says it only refers to one (`TOKEN_PATH`, `SECRET_NAME`, `AUTH_METHOD`).
 */
export function isSecretName(name: string): boolean {
  const words = identifierWords(name);
  if (words.length === 0) return false;
  const last = words[words.length - 1];
  if (REFERENCE_WORDS.has(last)) return false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (SECRET_WORDS.has(w) || SECRET_SUFFIXES.some((s) => w.endsWith(s))) return true;
    const next = words[i + 1];
    if ((w === "api" || w === "private" || w === "access" || w === "secret") && next === "key") return true;
  }
  return last === "key" || last === "pass" || last === "auth";
}

/** Values that are placeholders for a secret rather than the secret itself. */
function isPlaceholder(value: string): boolean {
  const v = value.trim();
  return (
    v === "" ||
    v.startsWith("$") ||
    v.startsWith("{{") ||
    v.startsWith("<") ||
    v.startsWith("%") ||
    v === REDACTED_SECRET ||
    /^(null|none|nil|true|false|changeme|redacted|\*+)$/i.test(v)
  );
}

/** One kind of secret material, recognised by its shape whatever it is called. */
interface Detector {
  /** What the finding calls it: "a PEM private key". */
  what: string;
  /** Returns the secret part of the match (checked against placeholders), or undefined. */
  find(value: string): string | undefined;
}

function pattern(what: string, re: RegExp, group = 0): Detector {
  return { what, find: (value) => re.exec(value)?.[group] };
}

/**
 * The detectors, most specific first. Token formats: GitHub's documented prefixes (ghp_, gho_,
 * ghu_, ghs_, ghr_, github_pat_; https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/),
 * Slack's xox?- tokens and incoming-webhook URLs (https://api.slack.com/authentication/token-types),
 * AWS access key ids AKIA (long-term) / ASIA (temporary)
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids).
 */
const DETECTORS: Detector[] = [
  pattern("a PEM private key", /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/),
  {
    what: "a GCP service-account key",
    find: (v) =>
      /"type"\s*:\s*"service_account"/.test(v) && /"private_key(?:_id)?"\s*:/.test(v) ? "key" : undefined,
  },
  pattern("an AWS access key id", /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/),
  pattern(
    "an AWS secret access key",
    /aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/i,
    1,
  ),
  pattern("a GitHub token", /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/),
  pattern("a Slack token", /\bxox[abposre]-[A-Za-z0-9-]{10,}/),
  pattern(
    "a Slack webhook URL",
    /https:\/\/hooks\.slack\.com\/services\/T[A-Za-z0-9]+\/B[A-Za-z0-9]+\/[A-Za-z0-9]+/,
  ),
  pattern("a JSON Web Token", /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/),
  // scheme://user:password@host, also with an empty user (redis://:password@host).
  pattern("a URL with an embedded password", /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:([^\s/@]+)@/i, 1),
  // libpq `host=… password=…`, JDBC `?user=…&password=…`, ADO.NET `Server=…;Password=…;`.
  pattern(
    "a connection string with a password",
    /(?:^|[\s;?&])(?:password|pwd|passwd)\s*=\s*['"]?([^\s;&'"]+)/i,
    1,
  ),
  pattern(
    "a configuration line assigning a credential",
    /^\s*["']?[\w.-]*(?:password|passwd|secret|token|api[_-]?key|private[_-]?key)["']?\s*[:=]\s*["']?([^"'\s#]+)/im,
    1,
  ),
];

/**
 * What kind of secret material a string value holds, or undefined. Placeholders (`$(VAR)`,
 * `${VAR}`, `{{ .Values.x }}`, `<password>`, `changeme`) are not material.
 */
export function secretMaterial(value: string): string | undefined {
  if (value.length < 8) return undefined;
  for (const d of DETECTORS) {
    const found = d.find(value);
    if (found !== undefined && !isPlaceholder(found)) return d.what;
  }
  return undefined;
}

/**
 * A command-line flag that carries a credential: `--password=…`, `--db-password …`, `--token=…`,
 * `-p…` is not recognised (too ambiguous). Returns the flag, never the value.
 */
export function secretFlag(args: readonly string[]): { flag: string; index: number } | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const m = /^--?([A-Za-z][\w.-]*)(?:=(.*))?$/s.exec(arg);
    if (!m || !isSecretName(m[1])) continue;
    const value = m[2] ?? args[i + 1];
    if (value === undefined || (m[2] === undefined && value.startsWith("-"))) continue;
    if (!isPlaceholder(value) && !value.startsWith("/")) return { flag: `--${m[1]}`, index: i };
  }
  return undefined;
}

/** A literal value worth flagging under a secret-looking name (not empty, not a placeholder, not a file path). */
export function isLiteralSecretValue(value: unknown): boolean {
  if (isUnknown(value)) return false;
  if (typeof value === "string") return !isPlaceholder(value) && !value.startsWith("/");
  return typeof value === "number";
}
