/**
 * kafkajs 2.2.4 sometimes schedules a timer with a negative delay (its request queue), and Node's
 * layer then prints `(node:PID) TimeoutNegativeWarning: … is a negative number` on stderr: words
 * of the runtime's own that mean nothing to our users. {@link dropTimeoutNegativeWarning} drops
 * that warning, and only it, for the whole process; every module that makes a kafkajs client calls
 * it first (core's transport, and kshark's own client).
 *
 * @module
 */
import process from "node:process";

let installed = false;

/** Drops Node's TimeoutNegativeWarning from now on; calling it again changes nothing. */
export function dropTimeoutNegativeWarning(): void {
  if (installed) return;
  installed = true;
  const emitWarning = process.emitWarning;
  // deno-lint-ignore no-explicit-any
  (process as any).emitWarning = (warning: unknown, ...rest: any[]) => {
    const type = typeof rest[0] === "string" ? rest[0] : rest[0]?.type;
    const name = warning instanceof Error ? warning.name : type;
    if (name === "TimeoutNegativeWarning") return;
    return emitWarning.call(process, warning as string, ...rest);
  };
}
