import { Command } from "commander";
import {
  fixDoctor,
  type FixResult,
  formatDoctor,
  formatFixes,
  runDoctor,
} from "../core/doctor/mod.ts";
import { CliError } from "./_errors.ts";
import type { CliContext } from "./_context.ts";

/** `kafclaw doctor`: check the installation and say what to fix. */
export function doctorCommand(ctx: CliContext): Command {
  return new Command("doctor")
    .description("check the configuration, provider, mode and sandbox, and say what to fix")
    .option("--json", "print as JSON")
    .option(
      "--fix",
      "first apply the safe fixes (private files' modes, a missing KAFCLAW_HOME, a group's " +
        "topic configs) and say each",
    )
    .option("--offline", "contact nothing on the network: no model, broker or MCP server")
    .action(async (opts: { json?: boolean; fix?: boolean; offline?: boolean }) => {
      let fixed: FixResult[] | undefined;
      if (opts.fix) fixed = await fixDoctor({ env: ctx.env(), offline: opts.offline === true });
      const results = await runDoctor({ env: ctx.env(), offline: opts.offline === true });
      if (opts.json) {
        const report = fixed === undefined ? results : { fixed, checks: results };
        ctx.io.out(JSON.stringify(report, null, 2));
      } else {
        if (fixed !== undefined) ctx.io.out(formatFixes(fixed));
        ctx.io.out(formatDoctor(results));
      }
      const failed = results.filter((r) => r.status === "fail").length;
      if (failed) throw new CliError(`${failed} check(s) failed`);
    });
}
