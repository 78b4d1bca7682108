/**
 * One message through the agent's door as the owner's, for `kafclaw agent`: an answer to a
 * pending approval (of this or any other kafclaw process on this KAFCLAW_HOME), or a turn whose
 * answer streams to stdout, with the busy line (cli/_repl_busy.ts) until the first token and while
 * a tool runs.
 *
 * @module
 */
import type { AgentRuntime } from "../core/agent/mod.ts";
import { CliError } from "./_errors.ts";
import type { Io } from "./_io.ts";
import type { BusyLine } from "./_repl_busy.ts";
import type { StopSignals } from "./_stop.ts";

/** How a message ended: done (answered), or stopped early by Ctrl-C or a signal. */
export type TurnEnd = "done" | "cancelled" | "interrupted";

/** How much of a tool call's arguments the line about it shows. */
const CALL_LINE_CHARS = 2000;

/** A call's arguments for the line about it: whole, or cut with a note that says so. */
function shown(args: string): string {
  return args.length <= CALL_LINE_CHARS
    ? args
    : `${args.slice(0, CALL_LINE_CHARS)}… [cut: ${args.length} characters in all]`;
}

/** What a turn needs besides its text. */
export interface TurnOptions {
  /** Where it writes: made busy-aware by `busy.io`. */
  readonly io: Io;
  readonly runtime: AgentRuntime;
  readonly session: string;
  readonly stops: StopSignals;
  readonly busy: BusyLine;
}

/** Sends `text` to the agent and shows the answer; Ctrl-C or a signal end it early. */
export async function runTurn(text: string, options: TurnOptions): Promise<TurnEnd> {
  const { io, runtime, stops, busy } = options;
  const signal = stops.startTurn();
  let streamed = "";
  const stopped = (): TurnEnd => {
    busy.stop();
    if (streamed) io.write("\n");
    if (stops.received) return "interrupted";
    io.err("kafclaw: cancelled");
    return "cancelled";
  };
  busy.show("thinking");
  try {
    const result = await runtime.door.enter({
      source: { kind: "terminal" },
      sessionKey: options.session,
      text,
      signal,
      onText: (delta) => {
        streamed += delta;
        io.write(delta);
      },
      onToolCall: (call) => {
        busy.stop();
        io.err(`· ${call.name} ${shown(call.arguments)}`);
        busy.show(`running ${call.name}`);
      },
      onToolResult: () => busy.show("thinking"),
    });
    busy.stop();
    if (result.kind !== "turn") {
      io.out(result.content);
      return "done";
    }
    if (result.turn.stopped === "cancelled") return stopped();
    if (!streamed.trim()) io.write(result.content);
    else if (result.content !== streamed) io.write(`\n${result.content}`);
    io.write("\n");
    return "done";
  } catch (error) {
    busy.stop();
    // Stopped while it waited for the session or the disk: nothing of it was recorded.
    if (signal.aborted) return stopped();
    if (!streamed) throw error;
    // The answer was shown but not kept (a full disk): the error says so, on a line of its own.
    io.write("\n");
    throw new CliError(`the answer above was not saved: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    stops.endTurn();
  }
}
