/**
 * Prints, one per line, the Deno permission flags for a `kafclaw` command line: the subcommand's
 * set from core/permissions, narrowed to this user's KAFCLAW_HOME and the configured workspace.
 * scripts/kafclaw runs it first, then runs main.ts with exactly these flags.
 */
import { loadConfig, paths, resolveHome } from "../core/config/mod.ts";
import {
  denoFlags,
  narrowSet,
  PERMISSION_SETS,
  permissionSetFor,
} from "../core/permissions/mod.ts";

const argv = Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args;
const name = permissionSetFor(argv);
const env = Deno.env.toObject();
let home: string;
const extra: string[] = [];
try {
  home = resolveHome(env);
} catch {
  // main.ts reports a bad KAFCLAW_HOME properly; the flags only need to be safe.
  home = `${env.HOME ?? "."}/.kafclaw`;
}
try {
  const workspace = paths(await loadConfig({ env })).workspace;
  if (!workspace.startsWith(`${home}/`)) extra.push(workspace);
} catch {
  // An invalid config: main.ts will say what is wrong; the workspace is not needed for that.
}
// This script runs under the same Deno as main.ts will (scripts/kafclaw), so its path is that one.
const set = narrowSet(PERMISSION_SETS[name], {
  home,
  extraRead: extra,
  extraWrite: extra,
  deno: Deno.execPath(),
});
for (const flag of denoFlags(set)) console.log(flag);
