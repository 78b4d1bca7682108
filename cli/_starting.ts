/**
 * The start of a command that runs until stopped (`gateway`, `group join`) against the stop
 * signals that come while it starts: a start can take half a minute and more (Kafka out of reach
 * and retried, a newcomer waiting for a sponsor), and Ctrl-C must not wait for it.
 *
 * @module
 */
import { Cancelled, Terminated } from "./_errors.ts";

/** The signals that stop a long-lived command. */
export type StopSignal = "SIGINT" | "SIGTERM";

/** Both stop signals, for the listeners of a command. */
export const STOP_SIGNALS: readonly StopSignal[] = ["SIGINT", "SIGTERM"];

/** Options of {@link unlessStopped}. */
export interface UnlessStoppedOptions<T> {
  /** What the start does, for the message (`starting the gateway`, `joining group "g"`). */
  readonly doing: string;
  /** Closes what a start made that ended after the signal (it leaves the group). */
  readonly close: (made: T) => Promise<unknown>;
  /** How long a start stopped midway may take to end, and what it made to close. */
  readonly graceMs: number;
}

/**
 * `start`'s result, unless a stop signal comes first. Then the command ends with Cancelled
 * (SIGINT, exit 130) or Terminated (SIGTERM, exit 143), saying what it stopped, once the start
 * has ended and what it made is closed, or once `graceMs` have passed, whichever is first: a start
 * still retrying Kafka then ends with the process.
 */
export async function unlessStopped<T>(
  start: Promise<T>,
  stopped: Promise<StopSignal>,
  options: UnlessStoppedOptions<T>,
): Promise<T> {
  const ended = start.then(() => undefined, () => undefined);
  const signal = await Promise.race([ended, stopped]);
  if (signal === undefined) return await start;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    start.then(options.close).catch(() => {}),
    new Promise((resolve) => timer = setTimeout(resolve, options.graceMs)),
  ]);
  clearTimeout(timer);
  const message = `stopped (${signal}) while ${options.doing}`;
  throw signal === "SIGINT" ? new Cancelled(message) : new Terminated(message);
}
