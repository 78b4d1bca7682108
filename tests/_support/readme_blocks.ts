/**
 * README.md's fenced shell blocks as the docs test reads them (tests/e2e/readme_commands_test.ts).
 *
 * Every shell block (```sh, ```console, or a fence without a language) carries a mark on the line
 * before it, an HTML comment that the rendered README does not show:
 *
 * - `<!-- readme-test: run -->`: each command runs in a fresh KAFCLAW_HOME and must exit 0, or
 *   the status its trailing comment names (`# exits 2: …`). In a ```console block the lines after
 *   a `$ ` command are output the command must print, in that order (`…` stands for any text).
 * - `<!-- readme-test: help only (REASON) -->`: each command's subcommands and flags must be in
 *   its `--help`, without running it.
 * - `<!-- readme-test: skip (REASON) -->`: not checked at all.
 *
 * A ```json block marked `<!-- readme-test: config.json -->` is written as config.json into the
 * home of the next run block. A `kafclaw` command of a run block is checked against `--help` too.
 *
 * @module
 */

/** How the test treats a block. */
export type Mark =
  | { readonly kind: "run" }
  | { readonly kind: "help only"; readonly reason: string }
  | { readonly kind: "skip"; readonly reason: string }
  | { readonly kind: "config.json" };

/** One command of a block: its words, what it prints, the status it exits with. */
export interface BlockCommand {
  /** The command as written (continuations joined, comment removed). */
  readonly text: string;
  /** Its shell words, `<placeholders>` as one word. */
  readonly words: readonly string[];
  /** Output lines shown after it (console blocks). */
  readonly output: readonly string[];
  /** 0, or the status of a trailing `# exits N` comment. */
  readonly exit: number;
}

/** One fenced block of README.md. */
export interface Block {
  /** The 1-based line of its opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly mark: Mark | undefined;
  /** An unreadable mark, said as the error. */
  readonly badMark?: string;
  readonly body: string;
  readonly commands: readonly BlockCommand[];
}

const SHELL_LANGS = new Set(["", "sh", "shell", "bash", "console"]);

/** Whether a block of this language holds shell commands. */
export function isShell(lang: string): boolean {
  return SHELL_LANGS.has(lang);
}

function parseMark(comment: string): Mark | string {
  const text = comment.trim();
  if (text === "run") return { kind: "run" };
  if (text === "config.json") return { kind: "config.json" };
  const m = /^(help only|skip) \((.+)\)$/.exec(text);
  if (m) return { kind: m[1] as "help only" | "skip", reason: m[2]! };
  return `Cannot read the readme-test mark "${text}": expected run, config.json, ` +
    `help only (REASON) or skip (REASON)`;
}

/** Splits a command line into shell words: quotes removed, `<placeholder>` kept as one word. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      word = (word ?? "") + line.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? line.length : end;
    } else if (c === "<" && line.indexOf(">", i) > i) {
      const end = line.indexOf(">", i);
      word = (word ?? "") + line.slice(i, end + 1);
      i = end;
    } else if (c === " " || c === "\t") {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "\\" && i + 1 < line.length) {
      word = (word ?? "") + line[++i];
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The line without a trailing `# comment` (outside quotes), and the comment. */
function splitComment(line: string): [string, string] {
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || line[i - 1] === " ")) {
      return [line.slice(0, i).trimEnd(), line.slice(i + 1).trim()];
    }
  }
  return [line, ""];
}

function commandsOf(body: string, console: boolean): BlockCommand[] {
  const out: { text: string; words: string[]; output: string[]; exit: number }[] = [];
  let pending = "";
  for (const raw of body.split("\n")) {
    if (console && !raw.startsWith("$ ") && pending === "") {
      if (raw.trim() !== "") out.at(-1)?.output.push(raw);
      continue;
    }
    const line = console && pending === "" ? raw.slice(2) : raw;
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1) + " ";
      continue;
    }
    const [text, comment] = splitComment(pending + line);
    pending = "";
    if (text.trim() === "") continue;
    const exit = /^exits (\d+)\b/.exec(comment);
    out.push({
      text: text.trim(),
      words: shellWords(text.trim()),
      output: [],
      exit: exit ? Number(exit[1]) : 0,
    });
  }
  return out;
}

/** Every fenced block of a Markdown text, with its mark and commands. */
export function readBlocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !/^\s*```\s*$/.test(lines[i]!)) body.push(lines[i]!.slice(indent));
    let before = start - 1;
    while (before >= 0 && lines[before]!.trim() === "") before--;
    const comment = /^\s*<!-- readme-test: (.*) -->\s*$/.exec(lines[before] ?? "")?.[1];
    const mark = comment === undefined ? undefined : parseMark(comment);
    const lang = open[2]!;
    blocks.push({
      line: start + 1,
      lang,
      mark: typeof mark === "string" ? undefined : mark,
      ...(typeof mark === "string" ? { badMark: mark } : {}),
      body: body.join("\n"),
      commands: isShell(lang) ? commandsOf(body.join("\n"), lang === "console") : [],
    });
  }
  return blocks;
}

/** The words after the program of a kafclaw command, or undefined for any other command. */
export function kafclawArgs(words: readonly string[]): string[] | undefined {
  let i = 0;
  if (words[0] === "export") return undefined;
  while (i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i]!)) i++;
  const program = words[i];
  if (program === "kafclaw" || program === "scripts/kafclaw") return words.slice(i + 1);
  return undefined;
}

/** The task of a `deno task NAME …` command, or undefined for any other command. */
export function denoTask(words: readonly string[]): string | undefined {
  return words[0] === "deno" && words[1] === "task" ? words[2] : undefined;
}

/** A `kafclaw …` code span of the prose (or a table), as written and as shell words. */
export interface InlineCommand {
  readonly line: number;
  readonly text: string;
  readonly words: readonly string[];
}

/**
 * Every code span outside fenced blocks that starts with `kafclaw ` or `scripts/kafclaw `, its
 * optional parts' brackets removed (`[--fix]` is `--fix`) and a table's `\|` read as `|`.
 */
export function inlineCommands(markdown: string): InlineCommand[] {
  const found: InlineCommand[] = [];
  let fenced = false;
  markdown.split("\n").forEach((line, i) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) return;
    for (const m of line.matchAll(/`((?:scripts\/)?kafclaw [^`]+)`/g)) {
      const text = m[1]!.replaceAll("\\|", "|");
      found.push({ line: i + 1, text, words: shellWords(text.replace(/[[\]]/g, " ")) });
    }
  });
  return found;
}
