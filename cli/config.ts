import { Command } from "commander";
import { notBuiltYet } from "./_errors.ts";
import type { CliContext } from "./mod.ts";

/** `kafclaw config`: read and edit $KAFCLAW_HOME/config.json. */
export function configCommand(_ctx: CliContext): Command {
  return new Command("config").description("read and edit the configuration").action(() =>
    notBuiltYet("config", "being written")
  );
}
