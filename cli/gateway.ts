import { Command } from "commander";
import { notBuiltYet } from "./_errors.ts";
import type { CliContext } from "./_context.ts";

/** `kafclaw gateway`: run the agent with its channels, HTTP API and dashboard. */
export function gatewayCommand(_ctx: CliContext): Command {
  return new Command("gateway")
    .description("run the agent with its channels, HTTP API and dashboard (not in this build yet)")
    .option("--mode <mode>", "standalone, group, full or headless")
    .action(() => notBuiltYet("gateway", "arrives with the gateway step"));
}
