import { Command } from "commander";
import { notBuiltYet } from "./_errors.ts";
import type { CliContext } from "./_context.ts";

/** `kafclaw status`: show the agent, its configuration and its group. */
export function statusCommand(_ctx: CliContext): Command {
  return new Command("status")
    .description("show the agent, its configuration and its group (not in this build yet)")
    .option("--json", "print as JSON")
    .action(() => notBuiltYet("status", "arrives with the group step"));
}
