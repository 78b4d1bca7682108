import { Command } from "commander";
import { PROTOCOL, VERSION } from "../core/version.ts";
import type { CliContext } from "./_context.ts";

/** `kafclaw version [--json]`: the version of this build, its protocol and its runtime. */
export function versionCommand(ctx: CliContext): Command {
  return new Command("version")
    .description("print the version, the wire protocol and the runtime")
    .option("--json", "print as JSON")
    .action((opts: { json?: boolean }) => {
      const facts = {
        version: VERSION,
        protocol: PROTOCOL,
        deno: Deno.version.deno,
        os: Deno.build.os,
        arch: Deno.build.arch,
      };
      ctx.io.out(
        opts.json
          ? JSON.stringify(facts)
          : `kafclaw ${facts.version} (protocol ${facts.protocol}; deno ${facts.deno}, ${facts.os}/${facts.arch})`,
      );
    });
}
