/**
 * What every check receives: the settings, the time limits, and where to put its rows; and
 * {@link timed}, which bounds one step by a timeout and measures it.
 *
 * @module
 */
import type { Row } from "./report.ts";
import type { KsharkSettings } from "./settings.ts";

/** The time limits of a run, in ms. */
export interface Timeouts {
  /** The whole run (`--timeout`). */
  readonly totalMs: number;
  /** One Kafka, TCP, TLS or HTTP request (`--kafka-timeout`). */
  readonly kafkaMs: number;
  /** The probe's produce (`--produce-timeout`). */
  readonly produceMs: number;
  /** The probe's consume (`--consume-timeout`). */
  readonly consumeMs: number;
}

/** The shared state of one run. */
export interface CheckContext {
  readonly settings: KsharkSettings;
  readonly timeouts: Timeouts;
  /** When the run must end (epoch ms). */
  readonly deadline: number;
  /** Records a finished check. */
  add(row: Row): void;
  /** Says which check starts now (the progress indicator). */
  starting(what: string): void;
}

/** Thrown by {@link timed} when a step outlives its limit. */
export class StepTimeout extends Error {
  override name = "StepTimeout";
}

/**
 * Runs `step`, failing with {@link StepTimeout} after `ms` (or at the run's deadline, whichever
 * comes first); resolves with its value and how long it took.
 */
export async function timed<T>(
  ctx: Pick<CheckContext, "deadline">,
  ms: number,
  what: string,
  step: () => Promise<T>,
): Promise<{ value: T; ms: number }> {
  const limit = Math.max(0, Math.min(ms, ctx.deadline - Date.now()));
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StepTimeout(`${what} took longer than ${Math.round(limit)} ms`)),
      limit,
    );
  });
  try {
    const value = await Promise.race([step(), timeout]);
    return { value, ms: Math.round((performance.now() - started) * 10) / 10 };
  } finally {
    clearTimeout(timer);
  }
}

/** An error's message, one line. */
export function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, "; ");
}

/** A broker address split into host and port (brackets of an IPv6 host removed). */
export function hostAndPort(broker: string): { host: string; port: number } {
  const i = broker.lastIndexOf(":");
  return { host: broker.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(broker.slice(i + 1)) };
}
