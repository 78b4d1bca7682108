/**
 * The lines typed at `kafclaw agent`, kept between runs in `$KAFCLAW_HOME/history` (0600, one
 * line each, the newest last, at most {@link HISTORY_LINES}). Answers to approval questions are
 * never in it (cli/_line_editor.ts keeps them out). A history that cannot be read or written
 * costs the recall of earlier lines, never the session: the error is said once and ignored.
 *
 * @module
 */

/** How many lines the history keeps. */
export const HISTORY_LINES = 500;

/** The history file of a KAFCLAW_HOME. */
export function historyPath(home: string): string {
  return `${home}/history`;
}

/**
 * The lines of the history file, the newest first (as node:readline takes them); none when there
 * is no file yet or it cannot be read (`warn` says why, unless it is simply missing).
 */
export function loadHistory(path: string, warn: (message: string) => void): string[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      warn(`Cannot read the line history from ${path}: ${(error as Error).message}`);
    }
    return [];
  }
  return text.split("\n").filter((line) => line.trim()).slice(-HISTORY_LINES).reverse();
}

/**
 * Writes `newestFirst` (bounded to {@link HISTORY_LINES}) to the history file, created 0600 and
 * kept so.
 */
export function saveHistory(path: string, newestFirst: readonly string[]): void {
  const lines = newestFirst.slice(0, HISTORY_LINES).filter((line) => !line.includes("\n"));
  const text = lines.toReversed().map((line) => `${line}\n`).join("");
  Deno.writeTextFileSync(path, text, { mode: 0o600 });
  Deno.chmodSync(path, 0o600);
}
