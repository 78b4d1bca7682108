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

/**
 * The settings as a report echoes them: values of secret-looking keys replaced by
 * {@link REDACTED}, and any password in a URL's user info too.
 */
export function redactConfig(
  settings: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) {
    out[key] = SECRET_KEY.test(key) && !key.endsWith(".location")
      ? REDACTED
      : value.replace(/(\/\/[^/:@\s]*:)[^@/\s]*@/g, `$1${REDACTED}@`);
  }
  return out;
}
