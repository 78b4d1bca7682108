import { Command } from "commander";
import { formatDoctor, runDoctor } from "../core/doctor/mod.ts";
import { CliError } from "./_errors.ts";
import type { CliContext } from "./_context.ts";

/** `kafclaw doctor`: check the installation and say what to fix. */
export function doctorCommand(ctx: CliContext): Command {
  return new Command("doctor")
    .description("check the configuration, provider, mode and sandbox, and say what to fix")
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      const results = await runDoctor({ env: ctx.env() });
      ctx.io.out(opts.json ? JSON.stringify(results, null, 2) : formatDoctor(results));
      const failed = results.filter((r) => r.status === "fail").length;
      if (failed) throw new CliError(`${failed} check(s) failed`);
    });
}
