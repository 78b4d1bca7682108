import { Command } from "commander";
import type { CliContext } from "./_context.ts";
import { printVersion } from "./_version.ts";

/** `kafclaw version [--json]`: the version of this build, its protocol and its runtime. */
export function versionCommand(ctx: CliContext): Command {
  return new Command("version")
    .description("print the version, the wire protocol and the runtime")
    .option("--json", "print as JSON")
    .action((opts: { json?: boolean }) => printVersion(ctx.io, opts.json === true));
}
