import { Command } from "commander";
import { notBuiltYet } from "./_errors.ts";
import type { CliContext } from "./mod.ts";

/** `kafclaw memory`: search and maintain the agent's memory. */
export function memoryCommand(_ctx: CliContext): Command {
  return new Command("memory")
    .description("search and maintain the agent's memory (not in this build yet)")
    .argument("[action]", "search, status, reindex or prune")
    .action(() => notBuiltYet("memory", "arrives with step 3, memory"));
}
