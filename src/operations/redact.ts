/** Names of fields that hold secrets in Mallee's configs and files (`adminCredentials`, `secretAccessKey`, ...). */
const secretField = /secret|password|passphrase|credential|token|private_?key|^key$|Key$/i;

export const redacted = '<redacted>';

/** A copy of a parsed JSON value with every secret-looking field's value replaced; `found` collects the secrets. */
export function redactJson(value: unknown, found: Set<string> = new Set()): unknown {
  if (Array.isArray(value)) return value.map((item) => redactJson(item, found));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => {
      if (!secretField.test(key)) return [key, redactJson(inner, found)];
      collectStrings(inner, found);
      return [key, redacted];
    }),
  );
}

function collectStrings(value: unknown, into: Set<string>): void {
  // A path (`tls.key`) names where a secret is, it is not one: cutting it out of logs would only hide information.
  if (typeof value === 'string' && value.length >= 8 && !value.startsWith('/')) into.add(value);
  else if (Array.isArray(value)) value.forEach((item) => collectStrings(item, into));
  else if (value !== null && typeof value === 'object')
    Object.values(value).forEach((item) => collectStrings(item, into));
}

const privateKeyBlock = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;
/** `scheme://user:password@host` in database URLs. */
const urlPassword = /(:\/\/[^:/@\s]+:)[^@\s]+@/g;
/** `secretAccessKey=...`, `"SecretAccessKey": "..."`, `AWS_SECRET_ACCESS_KEY='...'` and the like in free text. */
const secretAssignment = /((?:secret|password)[\w-]*["']?\s*[:=]\s*["']?)[^\s"',}]+/gi;

/** Free text (a log, a YAML file) with private keys, URL passwords, secret assignments and known secrets removed. */
export function redactText(text: string, knownSecrets: Iterable<string> = []): string {
  let clean = text
    .replace(privateKeyBlock, `${redacted} private key`)
    .replace(urlPassword, `$1${redacted}@`)
    .replace(secretAssignment, `$1${redacted}`);
  for (const secret of knownSecrets) clean = clean.split(secret).join(redacted);
  return clean;
}

/**
 * A log: pino writes one JSON object per line, redacted field by field (an error object may carry a TLS key as a
 * byte array, which no text pattern would catch); other lines as text.
 */
export function redactLog(text: string, knownSecrets: Set<string>): string {
  const lines = text.split('\n').map((line) => {
    if (!line.startsWith('{')) return line;
    try {
      return JSON.stringify(redactJson(JSON.parse(line), knownSecrets));
    } catch {
      return line;
    }
  });
  return redactText(lines.join('\n'), knownSecrets);
}
