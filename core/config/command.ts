/**
 * The name a suggested command starts with ("run kafclaw onboard", "kafclaw memory reindex"):
 * `kafclaw` when that is how the user ran it (on PATH, or a compiled binary), else the path they
 * ran the launcher by (`scripts/kafclaw`). scripts/kafclaw says which in KAFCLAW_COMMAND; the
 * configuration resolves it once into {@link ResolvedConfig.command}, and code that composes a
 * hint takes that name as a parameter.
 *
 * @module
 */
import type { Env } from "./paths.ts";

/** Set by scripts/kafclaw: `kafclaw`, or the path the launcher was run by. */
export const COMMAND_ENV = "KAFCLAW_COMMAND";

/** The name when nothing says otherwise: the installed command. */
export const DEFAULT_COMMAND = "kafclaw";

// What a shell takes as one word without quotes.
const PLAIN = /^[\w./~+@%=:,-]+$/;

/**
 * The name to start a suggested command with, from the environment: KAFCLAW_COMMAND, quoted for
 * a POSIX shell where it would be split, else `kafclaw`.
 *
 * @example
 * ```ts
 * import { commandName } from "./command.ts";
 * console.assert(commandName({}) === "kafclaw");
 * console.assert(commandName({ KAFCLAW_COMMAND: "scripts/kafclaw" }) === "scripts/kafclaw");
 * console.assert(commandName({ KAFCLAW_COMMAND: "/a b/kafclaw" }) === "'/a b/kafclaw'");
 * ```
 */
export function commandName(env: Env): string {
  const name = env[COMMAND_ENV]?.trim();
  if (!name) return DEFAULT_COMMAND;
  return PLAIN.test(name) ? name : `'${name.replaceAll("'", `'\\''`)}'`;
}
