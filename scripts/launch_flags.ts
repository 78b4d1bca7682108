/**
 * Prints, one per line, the Deno permission flags for a `kafclaw` command line: the subcommand's
 * set from core/permissions, narrowed to this user's KAFCLAW_HOME. scripts/kafclaw runs it first,
 * then runs main.ts with exactly these flags.
 */
import {
  denoFlags,
  narrowSet,
  PERMISSION_SETS,
  permissionSetFor,
} from "../core/permissions/mod.ts";

const argv = Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args;
const name = permissionSetFor(argv);
const home = Deno.env.get("KAFCLAW_HOME") ?? `${Deno.env.get("HOME") ?? "."}/.kafclaw`;
for (const flag of denoFlags(narrowSet(PERMISSION_SETS[name], { home }))) console.log(flag);
