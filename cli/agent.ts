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
import { ConfigError, loadConfig } from "../core/config/mod.ts";
import type { AgentRuntime } from "../core/agent/runtime.ts";
import { parseApprovalCommand } from "../core/agent/inbound.ts";
import { ProviderError } from "../core/provider/mod.ts";
import { DiskFullError } from "../core/timeline/mod.ts";
import { cliRuntime } from "./_runtime.ts";
import { CliError, StoppedBySignal, UsageError } from "./_errors.ts";
import { StopSignals } from "./_stop.ts";
import type { CliContext } from "./mod.ts";

const encoder = new TextEncoder();

/** How a turn at the terminal ended: answered (or an approval answered), or stopped early. */
type TurnEnd = "done" | "cancelled" | "interrupted";

async function turn(
  ctx: CliContext,
  runtime: AgentRuntime,
  session: string,
  text: string,
  stops: StopSignals,
): Promise<TurnEnd> {
  // At the terminal you are the owner: `approve <id>` / `deny <id>` answer a pending request
  // (of this or any other kafclaw process on this KAFCLAW_HOME) and never reach the LLM.
  const command = parseApprovalCommand(text);
  if (command) {
    ctx.io.out(runtime.approvals.answer(command.id, command.approved, "cli"));
    return "done";
  }
  const signal = stops.startTurn();
  let streamed = "";
  const stopped = (): TurnEnd => {
    if (streamed) Deno.stdout.writeSync(encoder.encode("\n"));
    if (stops.received) return "interrupted";
    ctx.io.err("kafclaw: cancelled");
    return "cancelled";
  };
  try {
    const result = await runtime.loop.runTurn({
      sessionKey: session,
      text,
      messageType: "internal",
      channel: "cli",
      signal,
      onText: (delta) => {
        streamed += delta;
        Deno.stdout.writeSync(encoder.encode(delta));
      },
      onToolCall: (call) => ctx.io.err(`· ${call.name} ${call.arguments.slice(0, 200)}`),
    });
    if (result.stopped === "cancelled") return stopped();
    if (!streamed.trim()) Deno.stdout.writeSync(encoder.encode(result.content));
    else if (result.content !== streamed) {
      Deno.stdout.writeSync(encoder.encode(`\n${result.content}`));
    }
    Deno.stdout.writeSync(encoder.encode("\n"));
    return "done";
  } catch (error) {
    // Stopped while it waited for the session or the disk: nothing of it was recorded.
    if (signal.aborted) return stopped();
    if (streamed) Deno.stdout.writeSync(encoder.encode("\n"));
    if (error instanceof ProviderError) throw new CliError(error.message, { cause: error });
    if (error instanceof DiskFullError) {
      throw new CliError(`${streamed ? "the answer above was not saved: " : ""}${error.message}`, {
        cause: error,
      });
    }
    throw error;
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
      const env = ctx.env();
      let config;
      try {
        config = await loadConfig({ env });
      } catch (error) {
        if (error instanceof ConfigError) throw new CliError(error.message);
        throw error;
      }
      // From here on, SIGINT and SIGTERM end the command through its cleanup.
      using stops = new StopSignals();
      const runtime = await cliRuntime(ctx, config, { agent: opts.agent });
      try {
        stops.throwIfStopped();
        if (opts.message !== undefined) {
          if (!opts.message.trim()) throw new UsageError("-m needs a message");
          const end = await turn(ctx, runtime, opts.session, opts.message, stops);
          if (end === "cancelled") throw new StoppedBySignal("SIGINT");
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
