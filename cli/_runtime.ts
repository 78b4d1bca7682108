/**
 * Builds the agent for a CLI command (`agent`, `cron run`): approvals asked on the terminal when
 * there is one, warnings on stderr, a missing provider reported as a usage error (exit 2), a
 * full disk as one line saying where, and a config.json that others could write refused.
 *
 * @module
 */
import type { AgentRuntime } from "../core/agent/runtime.ts";
import { checkConfigTrust, ConfigError, type ResolvedConfig } from "../core/config/mod.ts";
import { UnknownAgentError } from "../core/agent/profile.ts";
import { ProviderNotConfiguredError } from "../core/provider/mod.ts";
import { DiskFullError } from "../core/timeline/mod.ts";
import { terminalAsker } from "./_approve.ts";
import { CliError, UsageError } from "./_errors.ts";
import type { CliContext } from "./mod.ts";

/**
 * The agent runtime of one CLI run; close it when done. A config.json that others could have
 * written is refused first (see checkConfigTrust).
 */
export async function cliRuntime(
  ctx: CliContext,
  config: ResolvedConfig,
  options: { readonly agent?: string | undefined } = {},
): Promise<AgentRuntime> {
  try {
    await checkConfigTrust(config.file);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
  const askOwner = terminalAsker({
    io: ctx.io,
    prompter: ctx.prompter,
    interactive: Deno.stdin.isTerminal(),
  });
  // Loaded here, not at the top: its dependencies (the MCP SDK) read the environment when they
  // load, which subcommands without env access, like `version`, must never do.
  const { createAgentRuntime } = await import("../core/agent/runtime.ts");
  try {
    return await createAgentRuntime(config, {
      ...(askOwner ? { askOwner } : {}),
      warn: (m) => ctx.io.err(`kafclaw: ${m}`),
      ...(options.agent === undefined ? {} : { agent: options.agent }),
    });
  } catch (error) {
    if (error instanceof ProviderNotConfiguredError) throw new UsageError(error.message);
    if (error instanceof UnknownAgentError) throw new UsageError(error.message);
    if (error instanceof DiskFullError) throw new CliError(error.message, { cause: error });
    throw error;
  }
}
