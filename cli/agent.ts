import { Command } from "commander";
import { notBuiltYet } from "./_errors.ts";
import type { CliContext } from "./mod.ts";

/** `kafclaw agent`: talk to the agent: one message with -m, or an interactive session. */
export function agentCommand(_ctx: CliContext): Command {
  return new Command("agent")
    .description(
      "talk to the agent: one message with -m, or an interactive session (not in this build yet)",
    )
    .option("-m, --message <text>", "send one message and print the answer")
    .option("-s, --session <key>", "the session to continue", "cli:default")
    .action(() => notBuiltYet("agent", "arrives with step 2, the agent loop"));
}
