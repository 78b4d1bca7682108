/**
 * What a user (or the model, in a tool's result) reads when the process's Deno permissions refuse
 * something: never Deno's own words (`Requires net access to "h:443", run again with the
 * --allow-net flag`, a flag a user of the launcher cannot pass) but what was refused and why, in
 * one line. main.ts says it for every command; the tool registry says it for every tool's error.
 *
 * @module
 */

const DENO_WORDS =
  /Requires (\w+) access to "([^"]*)"(?:, run again with the --allow-[\w-]+ flag)?/g;

const ACCESS: Readonly<Record<string, string>> = {
  read: "read",
  write: "write",
  all: "use",
  net: "connect to",
  env: "read the environment variable",
  run: "run",
  sys: "read the system's",
  ffi: "load",
  import: "import",
};

/**
 * `message` with Deno's permission wording put as a user can act on it: `Requires net access to
 * "h:443", run again with the --allow-net flag` becomes `kafclaw may not connect to h:443`, and
 * says why: only a headless gateway has a narrowed network (its own ports, the brokers, the LLM
 * and channel hosts); files are KAFCLAW_HOME's, the workspace's and KafClaw's own code (a headless
 * gateway's KAFCLAW_HOME's alone). Any other text is left as it is.
 *
 * @example
 * ```ts
 * import { deniedText } from "./denied.ts";
 * const text = deniedText('Requires net access to "h:80", run again with the --allow-net flag');
 * console.assert(text.startsWith("kafclaw may not connect to h:80: a headless gateway reaches"));
 * ```
 */
export function deniedText(message: string): string {
  return message.replace(DENO_WORDS, (_, kind: string, what: string) => {
    const said = `kafclaw may not ${ACCESS[kind] ?? "use"} ${what}`;
    return `${said}${REASONS[kind] ?? ""}`;
  });
}

const REASONS: Readonly<Record<string, string>> = {
  net: ": a headless gateway reaches only its own ports, the brokers, and the LLM and channel " +
    "hosts its config names",
  read: ": it keeps to KAFCLAW_HOME, the workspace and its own code (a headless gateway to " +
    "KAFCLAW_HOME alone)",
  write: ": it writes only in KAFCLAW_HOME and the workspace (a headless gateway in KAFCLAW_HOME " +
    "alone)",
};
