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
import type { AgentRuntime } from "../core/agent/runtime.ts";
import { parseApprovalCommand } from "../core/agent/inbound.ts";
import { cliRuntime } from "./_runtime.ts";
import { CliError, UsageError } from "./_errors.ts";
import type { CliContext } from "./_context.ts";

const encoder = new TextEncoder();

async function turn(ctx: CliContext, runtime: AgentRuntime, session: string, text: string) {
  // At the terminal you are the owner: `approve <id>` / `deny <id>` answer a pending request
  // (of this or any other kafclaw process on this KAFCLAW_HOME) and never reach the LLM.
  const command = parseApprovalCommand(text);
  if (command) {
    ctx.io.out(runtime.approvals.answer(command.id, command.approved, "cli"));
    return 0;
  }
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  Deno.addSignalListener("SIGINT", onSigint);
  let streamed = "";
  try {
    const result = await runtime.loop.runTurn({
      sessionKey: session,
      text,
      messageType: "internal",
      channel: "cli",
      signal: controller.signal,
      onText: (delta) => {
        streamed += delta;
        Deno.stdout.writeSync(encoder.encode(delta));
      },
      onToolCall: (call) => ctx.io.err(`· ${call.name} ${call.arguments.slice(0, 200)}`),
    });
    if (result.stopped === "cancelled") {
      if (streamed) Deno.stdout.writeSync(encoder.encode("\n"));
      ctx.io.err("kafclaw: cancelled");
      return 130;
    }
    if (!streamed.trim()) Deno.stdout.writeSync(encoder.encode(result.content));
    else if (result.content !== streamed) {
      Deno.stdout.writeSync(encoder.encode(`\n${result.content}`));
    }
    Deno.stdout.writeSync(encoder.encode("\n"));
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
