/**
 * The interactive session of `kafclaw agent`: reads messages (the line editor at a terminal,
 * plain lines from a pipe), a trailing backslash continuing a message on the next line, and runs
 * each as a turn. Slash commands are the session's own and never reach the model: `/help`,
 * `/exit`, `/new` (a new session, the old one kept). At a terminal Ctrl-D at an empty prompt
 * leaves; Ctrl-C clears the line, and at an empty prompt says how to leave: a second Ctrl-C
 * within {@link LEAVE_WINDOW_MS} leaves.
 *
 * @module
 */
import type { ReadResult } from "./_line_editor.ts";
import { runTurn, type TurnOptions } from "./_repl_turn.ts";

/** How soon a second Ctrl-C at an empty prompt must follow the first to leave. */
export const LEAVE_WINDOW_MS = 2000;

/** The slash commands, as `/help` lists them. */
export const SLASH_COMMANDS = [
  ["/help", "this list"],
  ["/new", "start a new session (the current one is kept)"],
  ["/exit", "leave (Ctrl-D at an empty prompt does too)"],
] as const;

/** Where messages come from: one read per call, with a prompt and a continuation prompt. */
export type ReadLine = (prompt: string, continuation: string) => Promise<ReadResult>;

/** What the session needs. */
export interface ReplOptions extends Omit<TurnOptions, "session"> {
  /** The session to start in. */
  readonly session: string;
  readonly read: ReadLine;
  /** Whether the user is at a terminal (the line editor): Ctrl-D and Ctrl-C are keys there. */
  readonly terminal: boolean;
  /** A new session's key (default: `cli:` and the time). */
  readonly newSession?: () => string;
}

/** The help text of the session. */
export function helpText(): string {
  const width = Math.max(...SLASH_COMMANDS.map(([name]) => name.length));
  return [
    ...SLASH_COMMANDS.map(([name, what]) => `  ${name.padEnd(width)}  ${what}`),
    "  End a line with \\ to go on on the next; a pasted block is one message.",
    "  Ctrl-C cancels an answer; at an empty prompt, Ctrl-C twice or Ctrl-D leaves.",
  ].join("\n");
}

/** The key of a new session: `cli:` and the time, to the second. */
function timedSession(): string {
  return `cli:${new Date().toISOString().slice(0, 19).replaceAll(":", "-")}`;
}

/** One message: a line, and the lines after it while each ends with a backslash. */
async function message(options: ReplOptions): Promise<ReadResult> {
  const parts: string[] = [];
  while (true) {
    const prompt = parts.length ? "...: " : "you: ";
    const read = await options.read(prompt, "...: ");
    if (read.kind !== "line") return read;
    if (!read.text.endsWith("\\")) return { kind: "line", text: [...parts, read.text].join("\n") };
    parts.push(read.text.slice(0, -1));
  }
}

/** Runs the session until the user leaves or a signal stops it. */
export async function repl(options: ReplOptions): Promise<void> {
  const { io, stops } = options;
  let session = options.session;
  let interruptedAt = -Infinity;
  while (true) {
    const read = await Promise.race([message(options), stops.leaving.then(() => undefined)]);
    stops.throwIfStopped();
    if (read === undefined || read.kind === "end" || read.kind === "aborted") {
      if (options.terminal) io.err("");
      return;
    }
    if (read.kind === "interrupt") {
      if (!read.empty) continue;
      if (Date.now() - interruptedAt <= LEAVE_WINDOW_MS) return;
      interruptedAt = Date.now();
      io.err("(Ctrl-C again or Ctrl-D to leave; /help lists the commands)");
      continue;
    }
    const text = read.text;
    if (!text.trim()) continue;
    const command = /^\/(\S*)\s*$/.exec(text.trim());
    if (command) {
      const name = `/${command[1]}`;
      if (name === "/exit") return;
      if (name === "/help") io.err(helpText());
      else if (name === "/new") {
        const old = session;
        session = (options.newSession ?? timedSession)();
        io.err(`New session ${session}; ${old} is kept (continue it with -s ${old}).`);
      } else {
        io.err(`Unknown command ${name}; the commands are:\n${helpText()}`);
      }
      continue;
    }
    await runTurn(text, { ...options, session });
    stops.throwIfStopped();
  }
}
