/**
 * The commands the CLI suggests ("Next: kafclaw agent …") start with the name the user can type:
 * `kafclaw` when that is how they ran it (on PATH, or a compiled binary), else the path they ran
 * the launcher by (`scripts/kafclaw`). scripts/kafclaw says which in KAFCLAW_COMMAND.
 *
 * @module
 */

/** Set by scripts/kafclaw: `kafclaw`, or the path the launcher was run by. */
export const COMMAND_ENV = "KAFCLAW_COMMAND";

// What a shell takes as one word without quotes.
const PLAIN = /^[\w./~+@%=:,-]+$/;

/** The name to start a suggested command with, from the environment the CLI was given. */
export function commandName(env: Readonly<Record<string, string>>): string {
  const name = env[COMMAND_ENV]?.trim();
  if (!name) return "kafclaw";
  return PLAIN.test(name) ? name : `'${name.replaceAll("'", `'\\''`)}'`;
}

/**
 * A command to suggest: `rest` (the subcommand and its arguments) after {@link commandName}.
 *
 * @example
 * ```ts
 * import { hint } from "./_hint.ts";
 * hint({ KAFCLAW_COMMAND: "scripts/kafclaw" }, 'agent -m "hello"'); // 'scripts/kafclaw agent -m "hello"'
 * ```
 */
export function hint(env: Readonly<Record<string, string>>, rest: string): string {
  return `${commandName(env)} ${rest}`;
}
