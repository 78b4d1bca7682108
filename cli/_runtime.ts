/**
 * Builds the agent for a CLI command (`agent`, `cron run`): approvals asked on the terminal when
 * there is one, and warnings on stderr. A missing provider or an unknown agent is the user's to
 * fix: main.ts exits 2 for them. A config.json that others could have written is refused first.
 *
 * @module
 */
import type { AgentRuntime, AskOwner, ChatOutbound, SendToOwner } from "../core/agent/mod.ts";
import type { WaitSink } from "../core/provider/mod.ts";
import { checkConfigTrust, type ResolvedConfig } from "../core/config/mod.ts";
import { terminalAsker } from "./_approve.ts";
import type { CliContext } from "./_context.ts";

/** The agent runtime of one CLI run; close it when done. */
export async function cliRuntime(
  ctx: CliContext,
  config: ResolvedConfig,
  options: {
    readonly agent?: string | undefined;
    readonly onWait?: WaitSink;
    /** Asks the owner instead of the terminal asker (`kafclaw agent`'s line editor). */
    readonly askOwner?: AskOwner;
    /** Asks yes or no instead of the prompter (`kafclaw agent`'s line editor, which owns stdin). */
    readonly confirm?: (question: string) => Promise<boolean>;
    /** The owners' chat channels (the gateway's): approvals go there instead of a terminal. */
    readonly sendToOwner?: SendToOwner;
    /** The chats of those channels, where the `message` tool reaches people. */
    readonly chats?: ChatOutbound;
  } = {},
): Promise<AgentRuntime> {
  await checkConfigTrust(config.file);
  // With chat channels (the gateway's), approvals go to the owners' chats, not to a terminal.
  const askOwner = options.askOwner ?? (options.sendToOwner ? undefined : terminalAsker({
    io: ctx.io,
    prompter: ctx.prompter,
    interactive: Deno.stdin.isTerminal(),
    command: config.command,
  }));
  // Loaded here, not at the top: its dependencies (the MCP SDK) read the environment when they
  // load, which subcommands without env access, like `version`, must never do.
  const { createAgentRuntime } = await import("../core/agent/mod.ts");
  return await createAgentRuntime(config, {
    ...(askOwner ? { askOwner } : {}),
    // As root, whether the sandbox may take the workspace is asked where a person answers.
    ...(options.confirm
      ? { askHandOver: options.confirm }
      : Deno.stdin.isTerminal()
      ? { askHandOver: (q: string) => ctx.prompter().confirm(q) }
      : {}),
    warn: (m) => ctx.io.err(`kafclaw: ${m}`),
    ...(options.agent === undefined ? {} : { agent: options.agent }),
    ...(options.onWait ? { onWait: options.onWait } : {}),
    ...(options.sendToOwner ? { sendToOwner: options.sendToOwner } : {}),
    ...(options.chats ? { chats: options.chats } : {}),
  });
}
