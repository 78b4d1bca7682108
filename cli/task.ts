import { Command } from "commander";
import { notBuiltYet } from "./_errors.ts";
import type { CliContext } from "./_context.ts";

/** `kafclaw task`: submit and inspect group tasks. */
export function taskCommand(_ctx: CliContext): Command {
  return new Command("task")
    .description("submit and inspect group tasks (not in this build yet)")
    .argument("[action]", "submit, status or list")
    .action(() => notBuiltYet("task", "arrives with the group step"));
}
