import { Command } from "commander";
import { notBuiltYet } from "./_errors.ts";
import type { CliContext } from "./mod.ts";

/** `kafclaw doctor`: check the installation and explain what to fix. */
export function doctorCommand(_ctx: CliContext): Command {
  return new Command("doctor")
    .description("check the installation and explain what to fix (not in this build yet)")
    .option("--fix", "apply the fixes it can")
    .option("--json", "print as JSON")
    .action(() => notBuiltYet("doctor", "arrives with the group step"));
}
