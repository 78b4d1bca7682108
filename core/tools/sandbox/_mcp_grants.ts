/**
 * What a stdio MCP server's sandbox shows of the host, checked on the host: its grants (absolute,
 * not the whole host, each its own real path) and its command (a bare name is left to the
 * sandbox's PATH; an absolute one must be a file, and is bound at its real path). What the
 * process may not read is named in the error, never in Deno's words.
 *
 * @module
 */
import type { McpGrants } from "../mcp/mod.ts";
import type { SystemDir } from "./_bwrap_args.ts";

/** One bind of a grant: the host path, at the same path inside. */
export interface Bind {
  readonly path: string;
  readonly writable: boolean;
}

/** The error of a grant or command the sandbox cannot use: `what` it is and `why`. */
export function grantError(what: string, why: string): Error {
  return new Error(`Cannot run the MCP server in the sandbox: ${what} ${why}`);
}

/** An absolute path with `.`, `..` and repeated or trailing slashes resolved by text. */
export function normalizeGrantPath(path: string): string {
  if (!path.startsWith("/") || path.includes("\0")) {
    throw grantError(JSON.stringify(path), "is not an absolute path");
  }
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/**
 * The grants' binds and the command's (its real path, when it is outside the system folders),
 * outermost first, so that a nested grant is mounted over its parent.
 */
export function bindsOf(grants: McpGrants, command: string | null): Bind[] {
  const byPath = new Map<string, boolean>();
  for (const [list, writable] of [[grants.read, false], [grants.write, true]] as const) {
    for (const given of list) {
      const path = normalizeGrantPath(given);
      if (path === "/") throw grantError(JSON.stringify(given), "is the whole host: grant folders");
      byPath.set(path, writable || (byPath.get(path) ?? false));
    }
  }
  [...byPath.keys()].forEach(refuseLink);
  if (command !== null && !byPath.has(command)) byPath.set(command, false);
  const depth = (path: string) => path.split("/").length;
  return [...byPath].map(([path, writable]) => ({ path, writable }))
    .sort((a, b) => depth(a.path) - depth(b.path) || (a.path < b.path ? -1 : 1));
}

/** Runs a look at the host that needs read access, naming what this process may not read. */
function readable<T>(path: string, look: () => T): T {
  try {
    return look();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable)) throw error;
    throw grantError(
      JSON.stringify(path),
      "may not be read by this process: start it with the launcher (scripts/kafclaw or the " +
        "kafclaw binary), which allows reading what mcp.json names",
    );
  }
}

/**
 * Every grant must be its own real path, with no link on the way. Otherwise a server granted to
 * write somewhere on that way (this one, or another one) could swap a folder for a link, to
 * `/root/.ssh` say, and bubblewrap, root in the first stage, would follow it at the next start.
 */
function refuseLink(path: string): void {
  let real: string;
  try {
    real = readable(path, () => Deno.realPathSync(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return; // bubblewrap says so when it starts
    throw error;
  }
  if (real !== path) {
    throw grantError(
      JSON.stringify(path),
      `leads through a link: grant its real path ${JSON.stringify(real)} instead`,
    );
  }
}

function isFile(path: string): boolean {
  try {
    return readable(path, () => Deno.statSync(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw error;
  }
}

/**
 * What the sandbox runs: a bare name as it is (looked up inside, on the sandbox's PATH), an
 * absolute path by its real host path.
 */
export function resolveCommand(command: string): string {
  if (!command.startsWith("/")) {
    if (!command.includes("/") && command !== "") return command;
    throw grantError(`the command ${JSON.stringify(command)}`, "must be a name or absolute path");
  }
  if (!isFile(command)) {
    throw grantError(`the command ${JSON.stringify(command)}`, "is not found on the host");
  }
  return readable(command, () => Deno.realPathSync(command));
}

/** Whether `path` is already visible read-only inside: under /usr or a system folder. */
export function inSystem(path: string, system: readonly SystemDir[]): boolean {
  const roots = ["/usr", ...system.filter((d) => d.link === null).map((d) => d.path)];
  return roots.some((root) => path.startsWith(`${root}/`));
}
