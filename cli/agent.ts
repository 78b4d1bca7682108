/**
 * `kafclaw agent`: one message with `-m`, or an interactive session. Answers stream to stdout;
 * Ctrl-C cancels the request in flight and leaves the session consistent (a second Ctrl-C at the
 * prompt, or the end of input, leaves). SIGTERM interrupts the request in flight, marks it so in
 * the session and leaves, cleaning up as Ctrl-D does (exit 143; a cancelled `-m` exits 130).
 * `approve <id>` and `deny <id>` answer pending approvals instead of going to the agent.
 *
 * @module
 */
import { Command } from "commander";
import { loadConfig } from "../core/config/mod.ts";
import type { AgentRuntime } from "../core/agent/mod.ts";
import { cliRuntime } from "./_runtime.ts";
import { Cancelled, CliError, UsageError } from "./_errors.ts";
import { StopSignals } from "./_stop.ts";
import type { CliContext } from "./_context.ts";
import type { WaitEvent } from "../core/provider/mod.ts";

/** How a line at the terminal ended: done (answered), or stopped early by a signal. */
type TurnEnd = "done" | "cancelled" | "interrupted";

/** How much of a tool call's arguments the line about it shows. */
const CALL_LINE_CHARS = 2000;

/**
 * The line that says what a call to the LLM waits for, on stderr: `… waiting for openai/gpt-4o at
 * https://… — attempt 2 of 3 (no answer within 120 s)` at a terminal, the same after `kafclaw: `
 * where stderr is a file or a pipe, so that logs read like every other line of the CLI.
 */
export function waitLine(event: WaitEvent, terminal: boolean): string {
  const after = event.after ? ` (${event.after})` : "";
  const text =
    `waiting for ${event.ref} at ${event.url} — attempt ${event.attempt} of ${event.attempts}${after}`;
  return terminal ? `… ${text}` : `kafclaw: ${text}`;
}

/** A call's arguments for the line about it: whole, or cut with a note that says so. */
function shown(args: string): string {
  return args.length <= CALL_LINE_CHARS
    ? args
    : `${args.slice(0, CALL_LINE_CHARS)}… [cut: ${args.length} characters in all]`;
}

/**
 * One line typed at the terminal, through the agent's door as the owner's: an answer to a pending
 * approval (of this or any other kafclaw process on this KAFCLAW_HOME), or a turn whose answer
 * streams to stdout.
 */
async function turn(
  ctx: CliContext,
  runtime: AgentRuntime,
  session: string,
  text: string,
  stops: StopSignals,
): Promise<TurnEnd> {
  const signal = stops.startTurn();
  let streamed = "";
  const stopped = (): TurnEnd => {
    if (streamed) ctx.io.write("\n");
    if (stops.received) return "interrupted";
    ctx.io.err("kafclaw: cancelled");
    return "cancelled";
  };
  try {
    const result = await runtime.door.enter({
      source: { kind: "terminal" },
      sessionKey: session,
      text,
      signal,
      onText: (delta) => {
        streamed += delta;
        ctx.io.write(delta);
      },
      onToolCall: (call) => ctx.io.err(`· ${call.name} ${shown(call.arguments)}`),
    });
    if (result.kind !== "turn") {
      ctx.io.out(result.content);
      return "done";
    }
    if (result.turn.stopped === "cancelled") return stopped();
    if (!streamed.trim()) ctx.io.write(result.content);
    else if (result.content !== streamed) ctx.io.write(`\n${result.content}`);
    ctx.io.write("\n");
    return "done";
  } catch (error) {
    // Stopped while it waited for the session or the disk: nothing of it was recorded.
    if (signal.aborted) return stopped();
    if (!streamed) throw error;
    // The answer was shown but not kept (a full disk): the error says so, on a line of its own.
    ctx.io.write("\n");
    throw new CliError(`the answer above was not saved: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    stops.endTurn();
  }
}

/** `kafclaw agent`: talk to the agent. */
export function agentCommand(ctx: CliContext): Command {
  return new Command("agent")
    .description("talk to the agent: one message with -m, or an interactive session")
    .option("-m, --message <text>", "send one message and print the answer")
    .option("-s, --session <key>", "the session to continue", "cli:default")
    .option("-a, --agent <id>", "run as this agent of agents.list (its model)")
    .action(async (opts: { message?: string; session: string; agent?: string }) => {
      const config = await loadConfig({ env: ctx.env() });
      // From here on, SIGINT and SIGTERM end the command through its cleanup.
      using stops = new StopSignals();
      const terminal = Deno.stderr.isTerminal();
      const runtime = await cliRuntime(ctx, config, {
        agent: opts.agent,
        onWait: (event) => ctx.io.err(waitLine(event, terminal)),
      });
      try {
        stops.throwIfStopped();
        if (opts.message !== undefined) {
          if (!opts.message.trim()) throw new UsageError("-m needs a message");
          const end = await turn(ctx, runtime, opts.session, opts.message, stops);
          if (end === "cancelled") throw new Cancelled();
          stops.throwIfStopped();
          return;
        }
        ctx.io.err(
          `kafclaw agent — session ${opts.session}. Ctrl-C cancels an answer; Ctrl-D leaves.`,
        );
        while (true) {
          const line = await Promise.race([ctx.prompter().ask("you"), stops.leaving]);
          stops.throwIfStopped();
          if (line === undefined) break;
          if (!line.trim()) continue;
          if (line.trim() === "/exit") break;
          await turn(ctx, runtime, opts.session, line, stops);
          stops.throwIfStopped();
        }
      } finally {
        await runtime.close();
      }
    });
}
