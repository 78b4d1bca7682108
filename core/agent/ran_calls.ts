/**
 * What a turn keeps of a tool call once it ran. The call's arguments go to the model again with
 * every later request of the turn and every later turn of the session: a 20 MB `write_file`
 * would be sent each time. Once the call has run, long string arguments are kept cut down, with a
 * note of how long they were; the call itself ran with them whole.
 *
 * @module
 */
import type { ToolCall } from "../provider/mod.ts";

/** Longest string argument kept whole in the history, in characters. */
export const KEPT_ARGUMENT_CHARS = 2000;
/** What is kept of the start of a longer one. */
const HEAD_CHARS = 200;

function shrink(value: unknown): unknown {
  if (typeof value === "string") {
    return value.length <= KEPT_ARGUMENT_CHARS ? value : `${value.slice(0, HEAD_CHARS)}… ` +
      `[${value.length} characters in all; cut from the history after the call ran]`;
  }
  if (Array.isArray(value)) return value.map(shrink);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shrink(v)]));
  }
  return value;
}

/**
 * The call as the history keeps it after it ran: long string arguments cut down. Arguments that
 * are not JSON (the model's mistake, already answered with an error) are cut as one string.
 */
export function ranCall(call: ToolCall): ToolCall {
  if (call.arguments.length <= KEPT_ARGUMENT_CHARS) return call;
  let parsed: unknown;
  try {
    parsed = JSON.parse(call.arguments);
  } catch {
    return { ...call, arguments: JSON.stringify({ unparsed: shrink(call.arguments) }) };
  }
  const kept = JSON.stringify(shrink(parsed));
  return kept === call.arguments ? call : { ...call, arguments: kept };
}
