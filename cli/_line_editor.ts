/**
 * The line editor of `kafclaw agent` at a terminal: node:readline in terminal mode (arrow keys,
 * Home/End, Ctrl-A/E/U/K/W, up and down through the lines typed before, kept in KAFCLAW_HOME by
 * cli/_line_history.ts), over the one reader of stdin this process has. Nothing else reads stdin
 * while it is open: the approval question is a {@link LineEditor.read} of its own, which a remote
 * answer or a timeout ends through its signal, so no reader is left pending to take the next line.
 *
 * Between reads (while a turn runs) what is typed is held for the next read, except Ctrl-C, which
 * goes to `onInterrupt` (the turn is cancelled). A bracketed paste is text, never keys: a pasted
 * block of several lines becomes the first lines of one message, its last line left to edit.
 *
 * @module
 */
import type { Interface } from "node:readline";
import type { PassThrough } from "node:stream";
import { HISTORY_LINES, loadHistory, saveHistory } from "./_line_history.ts";
import { PASTE_OFF, PASTE_ON, PasteSplitter, type Piece } from "./_line_keys.ts";

/** How a read ended: a line (several when pasted), the end of input, Ctrl-C, or its signal. */
export type ReadResult =
  | { readonly kind: "line"; readonly text: string }
  | { readonly kind: "end" }
  /** Ctrl-C; `empty` when nothing had been typed. */
  | { readonly kind: "interrupt"; readonly empty: boolean }
  | { readonly kind: "aborted" };

/** Options of one {@link LineEditor.read}. */
export interface ReadOptions {
  /** The prompt of the lines after a pasted block's first (default: the prompt). */
  readonly continuation?: string;
  /** Whether the line goes into the history (default true; false for approval answers). */
  readonly remember?: boolean;
  /** Ends the read, its line cleared from the screen. */
  readonly signal?: AbortSignal;
  /**
   * Whether what was typed before the read began is read by it (default true; false for a
   * question nobody typed ahead for, an approval: what was typed waits for the next read).
   */
  readonly typeAhead?: boolean;
}

/** Options of {@link LineEditor.open}. */
export interface LineEditorOptions {
  /** The history file. */
  readonly history: string;
  /** Says once that the history cannot be read or written. */
  readonly warn: (message: string) => void;
  /** Ctrl-C while no line is read. */
  readonly onInterrupt: () => void;
  /** Whether a line holds a secret: recalled in this run, never written to the history file. */
  readonly secret?: (line: string) => boolean;
}

/** node:readline's interface with the state it keeps public: the line, the cursor, the history. */
type Readline = Interface & { line: string; cursor: number; history: string[] };

const CTRL_C = "\x03";
const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A line editor on this process's terminal; {@link close} gives the terminal back as it was. */
export class LineEditor {
  readonly #rl: Readline;
  readonly #input: PassThrough;
  readonly #output: { write(text: string): unknown };
  readonly #options: LineEditorOptions;
  readonly #reader = Deno.stdin.readable.getReader();
  readonly #splitter = new PasteSplitter();
  readonly #ahead: Piece[] = [];
  /** Lines ended while no read waited (two typed in one go), for the next reads. */
  readonly #early: string[] = [];
  #waiter:
    | { resolve(r: ReadResult): void; options: ReadOptions; pending: string[] }
    | undefined;
  #ended = false;
  #closed = false;
  #historyFailed = false;
  #feeding: Promise<void> = Promise.resolve();

  private constructor(
    modules: {
      createInterface: typeof import("node:readline").createInterface;
      PassThrough: typeof PassThrough;
      stderr: NodeJS.WritableStream;
    },
    options: LineEditorOptions,
  ) {
    this.#options = options;
    this.#input = new modules.PassThrough({ encoding: "utf8" });
    this.#output = modules.stderr;
    this.#rl = modules.createInterface({
      input: this.#input,
      output: modules.stderr,
      terminal: true,
      history: loadHistory(options.history, options.warn),
      historySize: HISTORY_LINES,
      removeHistoryDuplicates: true,
      tabSize: 4,
    }) as Readline;
    this.#rl.on("line", (line) => this.#line(line));
    this.#rl.on("SIGINT", () => this.#interrupt());
    this.#rl.on("close", () => {
      this.#ended = true;
      this.#finish({ kind: "end" });
    });
    Deno.stdin.setRaw(true);
    this.#output.write(PASTE_ON);
    this.#pump();
  }

  /** Opens the editor on the terminal (node:readline is loaded here, not at start). */
  static async open(options: LineEditorOptions): Promise<LineEditor> {
    const [readline, stream, process] = await Promise.all([
      import("node:readline"),
      import("node:stream"),
      import("node:process"),
    ]);
    return new LineEditor({
      createInterface: readline.createInterface,
      PassThrough: stream.PassThrough,
      stderr: process.default.stderr,
    }, options);
  }

  /** Shows `prompt` and reads one line (or a pasted block ended by Enter). */
  read(prompt: string, options: ReadOptions = {}): Promise<ReadResult> {
    if (this.#ended || this.#closed) return Promise.resolve({ kind: "end" });
    if (this.#waiter) throw new TypeError("LineEditor.read: a read is already waiting");
    if (options.signal?.aborted) return Promise.resolve({ kind: "aborted" });
    const typeAhead = options.typeAhead !== false;
    const early = typeAhead ? this.#early.shift() : undefined;
    if (early !== undefined) return Promise.resolve({ kind: "line", text: early });
    const { promise, resolve } = Promise.withResolvers<ReadResult>();
    this.#waiter = { resolve, options, pending: [] };
    this.#rl.setPrompt(prompt);
    this.#rl.prompt(true);
    options.signal?.addEventListener("abort", () => {
      if (this.#waiter?.resolve !== resolve) return;
      this.#rl.line = "";
      this.#rl.cursor = 0;
      this.#output.write("\r\x1b[K");
      this.#finish({ kind: "aborted" });
    }, { once: true });
    // What was typed while no line was read comes first.
    const held = typeAhead ? this.#ahead.splice(0) : [];
    this.#feeding = this.#feeding.then(async () => {
      for (const piece of held) await this.#take(piece);
    });
    return promise;
  }

  /** Gives the terminal back: raw mode and bracketed paste off, stdin released. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#finish({ kind: "end" });
    this.#rl.close();
    this.#output.write(PASTE_OFF);
    try {
      Deno.stdin.setRaw(false);
    } catch { /* the terminal has gone */ }
    this.#reader.cancel().catch(() => {});
  }

  #finish(result: ReadResult): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve(result);
  }

  #line(line: string): void {
    const waiter = this.#waiter;
    if (!waiter) {
      if (line.trim()) this.#remember();
      return void this.#early.push(line);
    }
    if (waiter.options.remember === false) {
      if (this.#rl.history[0] === line) this.#rl.history.shift();
    } else if (line.trim()) {
      this.#remember();
    }
    this.#rl.setPrompt("");
    this.#finish({ kind: "line", text: [...waiter.pending, line].join("\n") });
  }

  #remember(): void {
    try {
      const secret = this.#options.secret ?? (() => false);
      saveHistory(this.#options.history, this.#rl.history.filter((line) => !secret(line)));
    } catch (error) {
      if (this.#historyFailed) return;
      this.#historyFailed = true;
      this.#options.warn(
        `Cannot write the line history to ${this.#options.history}: ${(error as Error).message}`,
      );
    }
  }

  #interrupt(): void {
    const waiter = this.#waiter;
    if (!waiter) return this.#options.onInterrupt();
    const empty = !this.#rl.line && waiter.pending.length === 0;
    this.#rl.line = "";
    this.#rl.cursor = 0;
    this.#output.write(empty ? "\n" : "^C\n");
    this.#finish({ kind: "interrupt", empty });
  }

  /** Reads stdin until it ends or the editor closes; each piece is taken in order. */
  async #pump(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      while (!this.#closed) {
        const { value, done } = await this.#reader.read();
        if (done) break;
        const pieces = this.#splitter.push(decoder.decode(value, { stream: true }));
        this.#feeding = this.#feeding.then(async () => {
          for (const piece of pieces) await this.#take(piece);
        });
      }
    } catch { /* stdin was closed under us: the same as its end */ }
    await this.#feeding;
    this.#ended = true;
    this.#finish({ kind: "end" });
  }

  /** One piece: to the line being read, or held for the next read (Ctrl-C acts at once). */
  async #take(piece: Piece): Promise<void> {
    if (!this.#waiter) {
      if ("keys" in piece && piece.keys.includes(CTRL_C)) {
        const [before, ...after] = piece.keys.split(CTRL_C);
        if (before) this.#ahead.push({ keys: before });
        for (const rest of after) {
          this.#options.onInterrupt();
          if (rest) this.#ahead.push({ keys: rest });
        }
      } else {
        this.#ahead.push(piece);
      }
      return;
    }
    if ("keys" in piece) {
      this.#input.write(piece.keys);
      // The keys reach readline on a later tick: wait, so that what comes next sees their effect.
      await tick();
    } else {
      this.#paste(piece.paste);
    }
  }

  /** A pasted block: its lines before the last join the message; the last is left to edit. */
  #paste(text: string): void {
    const waiter = this.#waiter!;
    const lines = text.split("\n");
    if (lines.length === 1) return void this.#rl.write(text);
    this.#rl.write(lines[0]!);
    // What stood after the cursor moves to the end of the last pasted line.
    const after = this.#rl.line.slice(this.#rl.cursor);
    this.#rl.write(null, { ctrl: true, name: "k" });
    waiter.pending.push(this.#rl.line, ...lines.slice(1, -1));
    this.#output.write(`\n${lines.slice(1, -1).map((l) => `${this.#cont()}${l}\n`).join("")}`);
    this.#rl.line = "";
    this.#rl.cursor = 0;
    this.#rl.setPrompt(this.#cont());
    this.#rl.prompt(true);
    this.#rl.write(lines.at(-1)! + after);
    for (let i = 0; i < after.length; i++) this.#rl.write(null, { ctrl: true, name: "b" });
  }

  #cont(): string {
    return this.#waiter?.options.continuation ?? this.#rl.getPrompt();
  }
}
