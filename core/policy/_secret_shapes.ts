/**
 * The shapes of secrets that {@link redactSecrets} finds without being told their values. Each
 * shape is a regular expression; shapes with a context (`Bearer `, `password=`) keep the context
 * (group `keep`) and replace only the `secret` group, and some check that the value looks random
 * before it is taken for a secret.
 *
 * What is deliberately not a secret: UUIDs, git and other hashes (hex of any length), base64 blobs,
 * timestamps, words. A hash or id becomes one only after a key that says so (`api_key=<hex>`).
 *
 * @module
 */

/** One secret shape. */
export interface SecretShape {
  /** The marker's kind: `[REDACTED:<kind>]`. */
  readonly kind: string;
  /** Global. With a `secret` group, only that group is replaced (`keep` and `tail` stay). */
  readonly regex: RegExp;
  /** When present, a value it rejects is left alone. */
  readonly check?: (value: string) => boolean;
}

/** Bits per character of `text` (Shannon entropy). */
export function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length);
  return bits;
}

/**
 * Whether a value after a secret-ish key looks like a generated secret, not a word, a placeholder
 * (`YOUR_API_KEY_HERE`) or code (`process.env.TOKEN`): letters and digits, varied characters.
 */
export function looksRandom(value: string): boolean {
  if (!/[A-Za-z]/.test(value) || !/\d/.test(value)) return false;
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(value)) return false;
  return entropy(value) >= 3;
}

/** Both upper and lower case letters: random base64, not a word or a log line. */
function mixedCase(value: string): boolean {
  return /[A-Z]/.test(value) && /[a-z]/.test(value);
}

/**
 * A value after a password-ish key that is a password: not empty, a JSON literal or a marker
 * already, and not what programs print under such names: a path (`PWD=/home/me`), a variable
 * (`password=${DB_PASS}`), a pointer (`l_passwd = 0x7ffd…`), or the one-character placeholder of
 * `/etc/passwd` (`pw_passwd: x`). Anything else is taken for a password, whatever follows it.
 */
function realPassword(value: string): boolean {
  const bare = value.replace(/^["']|["']$/g, "");
  if (bare === "" || bare.startsWith("[REDACTED:")) return false;
  if (/^(?:null|true|false|undefined|x|\*)$/i.test(bare)) return false;
  return !/^[/~]/.test(bare) && !/^\$\{\w+\}$/.test(bare) && !/^0x[0-9a-f]+$/i.test(bare);
}

/** Not preceded by a character of a token: the secret starts here. */
const START = "(?<![A-Za-z0-9_-])";
const KEY_SEP = `["']?[ \\t]*[:=][ \\t]*`;

/** In order: specific shapes first, so a context shape never cuts a known shape in half. */
export const SECRET_SHAPES: readonly SecretShape[] = [
  {
    // The key's own characters only: its header lines (`Proc-Type: …`), then base64 and line
    // breaks (raw, or escaped as in JSON), up to its END line if there is one. Whatever follows a
    // cut-off key (a command, say) stays to be read.
    kind: "private_key",
    regex: new RegExp(
      "-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----" +
        String.raw`(?:
?
|\[rn])*(?:[A-Za-z-]{1,40}: [A-Za-z0-9,-]{1,200}(?:
?
|\[rn])+)*` +
        String.raw`(?:[A-Za-z0-9+/=]|
?
|\[rn]){0,16384}` +
        "(?:-----END[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----)?",
      "g",
    ),
  },
  { kind: "anthropic_key", regex: new RegExp(`${START}sk-ant-[A-Za-z0-9_-]{20,}`, "g") },
  {
    kind: "openai_key",
    regex: new RegExp(`${START}sk-(?=[A-Za-z0-9_-]*\\d)[A-Za-z0-9_-]{20,}`, "g"),
  },
  { kind: "stripe_key", regex: new RegExp(`${START}[sr]k_(?:live|test)_[A-Za-z0-9]{16,}`, "g") },
  {
    kind: "github_token",
    regex: new RegExp(`${START}(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})`, "g"),
  },
  { kind: "gitlab_token", regex: new RegExp(`${START}glpat-[A-Za-z0-9_-]{20,}`, "g") },
  { kind: "slack_token", regex: new RegExp(`${START}xox[abposr]-[A-Za-z0-9-]{10,}`, "g") },
  {
    kind: "slack_webhook",
    regex: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9_/-]{20,}/g,
  },
  { kind: "aws_access_key", regex: new RegExp(`${START}(?:AKIA|ASIA)[A-Z0-9]{16,}`, "g") },
  {
    kind: "aws_secret_key",
    regex: new RegExp(
      `(?<keep>aws_?secret_?access_?key${KEY_SEP}["']?)(?<secret>[A-Za-z0-9/+=]{30,})`,
      "gi",
    ),
  },
  { kind: "google_api_key", regex: new RegExp(`${START}AIza[A-Za-z0-9_-]{30,}`, "g") },
  {
    kind: "telegram_bot_token",
    regex: /(?<![0-9])\d{6,12}:[A-Za-z0-9_-]{35,}/g,
    check: mixedCase,
  },
  {
    // The bot's user id in base64, a timestamp, an HMAC: three dot-separated parts.
    kind: "discord_bot_token",
    regex: new RegExp(
      `${START}[MNO][A-Za-z0-9_-]{23,27}\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{27,40}(?![A-Za-z0-9_-])`,
      "g",
    ),
    check: mixedCase,
  },
  {
    kind: "jwt",
    regex: new RegExp(`${START}eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*`, "g"),
  },
  {
    kind: "url_password",
    regex:
      /(?<keep>\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:/@"'<>]{1,100}:)(?<secret>[^\s@/"'<>]{1,200})(?<tail>@)/gi,
  },
  {
    kind: "bearer_token",
    regex: /(?<keep>\bBearer[ \t]+)(?<secret>[A-Za-z0-9._~+/-]{16,}=*)/gi,
    check: looksRandom,
  },
  {
    kind: "basic_auth",
    regex: new RegExp(
      `(?<keep>Authorization${KEY_SEP}["']?Basic[ \\t]+)(?<secret>[A-Za-z0-9+/]{8,}={0,2})`,
      "gi",
    ),
  },
  {
    kind: "password",
    regex: new RegExp(
      `(?<keep>(?:password|passwd|passphrase|pwd)${KEY_SEP})` +
        `(?<secret>"[^"\\r\\n]*"|'[^'\\r\\n]*'|[^\\s"'&,;]+)`,
      "gi",
    ),
    check: realPassword,
  },
  {
    kind: "api_key",
    regex: new RegExp(
      `(?<keep>(?:api[_-]?key|secret|token|access[_-]?key|auth)${KEY_SEP}["']?)` +
        `(?<secret>[A-Za-z0-9_\\-./+=~]{16,})`,
      "gi",
    ),
    check: looksRandom,
  },
];
