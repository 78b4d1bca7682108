/**
 * The commands the CLI suggests ("Next: kafclaw agent …") start with the name the user can type:
 * `kafclaw` when that is how they ran it (on PATH, or a compiled binary), else the path they ran
 * the launcher by (`scripts/kafclaw`). The name is decided once, in core/config (commandName).
 *
 * @module
 */
import { commandName, type Env } from "../core/config/mod.ts";

export { commandName } from "../core/config/mod.ts";

/**
 * A command to suggest: `rest` (the subcommand and its arguments) after {@link commandName}.
 *
 * @example
 * ```ts
 * import { hint } from "./_hint.ts";
 * hint({ KAFCLAW_COMMAND: "scripts/kafclaw" }, 'agent -m "hello"'); // 'scripts/kafclaw agent -m "hello"'
 * ```
 */
export function hint(env: Env, rest: string): string {
  return `${commandName(env)} ${rest}`;
}
