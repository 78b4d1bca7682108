/**
 * The report model: one row per check, each `{component, target, layer, status, detail, hint}`,
 * a per-layer summary, and the settings echoed with their secrets redacted. Every renderer (text,
 * JSON, HTML, JUnit) reads this and nothing else.
 *
 * @module
 */

/** How a check ended. */
export type Status = "OK" | "WARN" | "FAIL" | "SKIP";

/** The statuses, in the order a summary lists them. */
export const STATUSES: readonly Status[] = ["OK", "WARN", "FAIL", "SKIP"];

/** The layer a check belongs to, from the network up. */
export type Layer = "L3-Network" | "L4-TCP" | "L5-6-TLS" | "L7-Kafka" | "L7-HTTP" | "Diag";

/** The layers, in the order the checks run. */
export const LAYERS: readonly Layer[] = [
  "L3-Network",
  "L4-TCP",
  "L5-6-TLS",
  "L7-Kafka",
  "L7-HTTP",
  "Diag",
];

/** One check's result. `hint` says what to try; every FAIL has one. */
export interface Row {
  readonly component: string;
  readonly target: string;
  readonly layer: Layer;
  readonly status: Status;
  readonly detail: string;
  readonly hint?: string;
  /** How long the check took, in ms. */
  readonly ms?: number;
}

/** Counts per status. */
export type Counts = Record<"ok" | "warn" | "fail" | "skip", number>;

/** A whole run. */
export interface Report {
  readonly tool: "kshark";
  readonly version: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly rows: readonly Row[];
  /** Per layer that has rows, and `total`. */
  readonly summary: Readonly<Record<string, Counts>>;
  /** The settings the run used, secrets replaced by {@link REDACTED}. */
  readonly config: Readonly<Record<string, string>>;
}

/** What a secret's value is replaced by in a report. */
export const REDACTED = "[redacted]";

/** Counts of each status per layer, plus `total`. */
export function summarize(rows: readonly Row[]): Record<string, Counts> {
  const out: Record<string, Counts> = {};
  const bump = (key: string, status: Status) => {
    out[key] ??= { ok: 0, warn: 0, fail: 0, skip: 0 };
    out[key][status.toLowerCase() as keyof Counts]++;
  };
  for (const layer of LAYERS) {
    for (const row of rows) if (row.layer === layer) bump(layer, row.status);
  }
  out.total = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const row of rows) bump("total", row.status);
  return out;
}

/** The exit code of a report: 1 when any check FAILed, else 0. */
export function exitCodeOf(report: Pick<Report, "rows">): 0 | 1 {
  return report.rows.some((row) => row.status === "FAIL") ? 1 : 0;
}

// A setting's name that says its value is a secret, or that may carry one (a JAAS line holds the
// password; a basic-auth user info is "user:password").
const SECRET_KEY = /pass|secret|token|jaas|credential|user\.info|private|\.key$|api[._-]?key/i;

/** Whether the setting `key` holds a secret (a file's location is not one). */
function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !key.endsWith(".location");
}

const URL_PASSWORD = /(\/\/[^/:@\s]*:)([^@/\s]*)@/g;

/** `text` with the password of every URL's user info in it replaced by {@link REDACTED}. */
export function redactUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, `$1${REDACTED}@`);
}

/**
 * The settings as a report echoes them: values of secret-looking keys replaced by
 * {@link REDACTED}, and any password in a URL's user info too.
 */
export function redactConfig(
  settings: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) {
    out[key] = isSecretKey(key) ? REDACTED : redactUrlPasswords(value);
  }
  return out;
}

/**
 * What hides the secrets of `settings` (the values of secret-looking keys, the passwords of
 * URLs' user info, raw and as a URL encodes them) in a text kshark shows: a row, a hint, a
 * progress line. Every row passes through it (run.ts), whatever check made it.
 */
export function secretScrubber(
  settings: Readonly<Record<string, string>>,
): (text: string) => string {
  const secrets = new Set<string>();
  for (const [key, value] of Object.entries(settings)) {
    if (isSecretKey(key)) {
      secrets.add(value);
      // A JAAS line's password and a basic-auth user info's password appear alone too.
      for (const m of value.matchAll(/password\s*=\s*"((?:[^"\\]|\\.)*)"/g)) secrets.add(m[1]!);
      if (/user\.info$/.test(key)) secrets.add(value.slice(value.indexOf(":") + 1));
    }
    for (const m of value.matchAll(URL_PASSWORD)) {
      secrets.add(m[2]!);
      secrets.add(decodeOr(m[2]!));
    }
  }
  // Longest first, so a secret that holds another is hidden whole; short ones would hide words.
  const known = [...secrets].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = redactUrlPasswords(text);
    for (const secret of known) out = out.replaceAll(secret, REDACTED);
    return out;
  };
}

function decodeOr(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
