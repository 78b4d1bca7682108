/**
 * A command run in a pseudo terminal, answered as a person would: wait for a prompt, type an
 * answer (tests/_support/pty_run.py, with python3's pty module).
 *
 * @module
 */

/** Keys as a terminal sends them. */
export const KEY = {
  up: "\x1b[A",
  down: "\x1b[B",
  left: "\x1b[D",
  right: "\x1b[C",
  enter: "\r",
  ctrlC: "\x03",
  ctrlD: "\x04",
} as const;

/** `text` pasted into a terminal that asked for bracketed paste: line ends sent as Enter. */
export function pasted(text: string): string {
  return `\x1b[200~${text.replaceAll("\n", "\r")}\x1b[201~`;
}

/**
 * The environment of a command in the pseudo terminal: PATH, HOME and DENO_DIR of this process,
 * KAFCLAW_HOME, and `extra`.
 */
export function ptyEnvironment(
  home: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
    KAFCLAW_HOME: home,
    ...extra,
  };
}

/** What a run in the pseudo terminal gave. */
export interface PtyResult {
  readonly code: number;
  /** Everything the command wrote to the terminal (stdout and stderr), escapes included. */
  readonly output: string;
  /** The pattern that never appeared, or null when every step ran. */
  readonly failed: string | null;
}

const helper = new URL("./pty_run.py", import.meta.url).pathname;

/**
 * Runs `command` in a pseudo terminal with exactly `env`: for each step, waits until the output
 * since the previous step, without colours and cursor moves, matches `pattern` (a regular
 * expression), then types `text`.
 */
export async function inPty(
  command: readonly string[],
  steps: readonly (readonly [pattern: string, text: string])[],
  env: Record<string, string>,
): Promise<PtyResult> {
  const out = await new Deno.Command("python3", {
    args: [helper, JSON.stringify(steps), "--", ...command],
    env: { TERM: "xterm", ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(`pty_run.py failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(text) as PtyResult;
}

/** The output without colours and cursor moves, carriage returns made line ends. */
export function plain(output: string): string {
  // deno-lint-ignore no-control-regex
  return output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r*\n|\r/g, "\n");
}
