import { Command } from "commander";
import { notBuiltYet } from "./_errors.ts";
import type { CliContext } from "./mod.ts";

/** `kafclaw onboard`: set up provider, model, workspace, mode and soul files. */
export function onboardCommand(_ctx: CliContext): Command {
  return new Command("onboard")
    .description("set up provider, model, workspace, mode and soul files (not in this build yet)")
    .option("-f, --force", "overwrite existing files")
    .option("--non-interactive", "take every answer from flags")
    .action(() => notBuiltYet("onboard", "arrives with step 2"));
}
