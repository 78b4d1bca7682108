/**
 * `kafclaw agent`: one message with `-m`, or an interactive session. Answers stream to stdout;
 * Ctrl-C cancels the request in flight and leaves the session consistent (a second Ctrl-C at the
 * prompt, or an empty line of input at its end, leaves). `approve <id>` and `deny <id>` answer
 * pending approvals instead of going to the agent.
 *
 * @module
 */
import { Command } from "commander";
import { loadConfig } from "../core/config/mod.ts";
import type { AgentRuntime } from "../core/agent/mod.ts";
import { cliRuntime } from "./_runtime.ts";
import { CliError, UsageError } from "./_errors.ts";
import type { CliContext } from "./_context.ts";

/**
 * One line typed at the terminal, through the agent's door as the owner's: an answer to a pending
 * approval (of this or any other kafclaw process on this KAFCLAW_HOME), or a turn whose answer
 * streams to stdout. Resolves with the exit code (130 when Ctrl-C cancelled it).
 */
async function turn(ctx: CliContext, runtime: AgentRuntime, session: string, text: string) {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  Deno.addSignalListener("SIGINT", onSigint);
  let streamed = "";
  try {
    const result = await runtime.door.enter({
      source: { kind: "terminal" },
      sessionKey: session,
      text,
      signal: controller.signal,
      onText: (delta) => {
        streamed += delta;
        ctx.io.write(delta);
      },
      onToolCall: (call) => ctx.io.err(`· ${call.name} ${call.arguments.slice(0, 200)}`),
    });
    if (result.kind !== "turn") {
      ctx.io.out(result.content);
      return 0;
    }
    if (result.turn.stopped === "cancelled") {
      if (streamed) ctx.io.write("\n");
      ctx.io.err("kafclaw: cancelled");
      return 130;
    }
    if (!streamed.trim()) ctx.io.write(result.content);
    else if (result.content !== streamed) ctx.io.write(`\n${result.content}`);
    ctx.io.write("\n");
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
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
      const runtime = await cliRuntime(ctx, config, { agent: opts.agent });
      try {
        if (opts.message !== undefined) {
          if (!opts.message.trim()) throw new UsageError("-m needs a message");
          const code = await turn(ctx, runtime, opts.session, opts.message);
          if (code !== 0) throw new CliError("the request was cancelled");
          return;
        }
        ctx.io.err(
          `kafclaw agent — session ${opts.session}. Ctrl-C cancels an answer; Ctrl-D leaves.`,
        );
        while (true) {
          const line = await ctx.prompter().ask("you");
          if (line === undefined) break;
          if (!line.trim()) continue;
          if (line.trim() === "/exit") break;
          await turn(ctx, runtime, opts.session, line);
        }
      } finally {
        await runtime.close();
      }
    });
}
