/**
 * What `kafclaw version` prints, apart from commander: cli/mod.ts answers `kafclaw version
 * [--json]` with it before commander loads, and cli/version.ts serves every other form.
 *
 * @module
 */
import { PROTOCOL, VERSION } from "../core/version.ts";
import type { Io } from "./_io.ts";

/** Prints the version, the wire protocol and the runtime: one line, or JSON. */
export function printVersion(io: Io, json: boolean): void {
  const facts = {
    version: VERSION,
    protocol: PROTOCOL,
    deno: Deno.version.deno,
    os: Deno.build.os,
    arch: Deno.build.arch,
  };
  io.out(
    json
      ? JSON.stringify(facts)
      : `kafclaw ${facts.version} (protocol ${facts.protocol}; deno ${facts.deno}, ${facts.os}/${facts.arch})`,
  );
}

/** Whether a command line is `version` or `version --json`, which need nothing but this file. */
export function isPlainVersion(argv: readonly string[]): boolean {
  return argv[0] === "version" &&
    (argv.length === 1 || (argv.length === 2 && argv[1] === "--json"));
}
