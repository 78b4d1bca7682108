import { Command } from "commander";
import { notBuiltYet } from "./_errors.ts";
import type { CliContext } from "./mod.ts";

/** `kafclaw cron`: manage scheduled jobs. */
export function cronCommand(_ctx: CliContext): Command {
  return new Command("cron")
    .description("manage scheduled jobs (not in this build yet)")
    .argument("[action]", "add, list, rm or run")
    .action(() => notBuiltYet("cron", "arrives with step 3, the scheduler"));
}
