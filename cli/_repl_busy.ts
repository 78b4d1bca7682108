/**
 * The "thinking" line of `kafclaw agent` on stderr, at a terminal only: from the moment a turn
 * starts until its first token, and while a tool runs (with the tool's name). It is cleared before
 * anything else is written, so an answer or a line about a call never lands after it, and shown
 * again after a line on stderr (a retry said) while the turn still waits.
 *
 * @module
 */
import type { Io } from "./_io.ts";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"] as const;
const FRAME_MS = 120;
const encoder = new TextEncoder();

/** The busy line; `enabled` false makes every method do nothing (a pipe, a file). */
export class BusyLine {
  readonly #enabled: boolean;
  readonly #write: (text: string) => void;
  #label: string | undefined;
  #shown = false;
  #frame = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    enabled: boolean,
    write: (text: string) => void = (t) => Deno.stderr.writeSync(encoder.encode(t)),
  ) {
    this.#enabled = enabled;
    this.#write = write;
  }

  /** What the line says now, or undefined when it is not shown. */
  get label(): string | undefined {
    return this.#label;
  }

  /** Shows `label` (e.g. `thinking`, `running exec`) until {@link stop}. */
  show(label: string): void {
    if (!this.#enabled) return;
    this.#label = label;
    this.#draw();
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#draw(), FRAME_MS);
    }
  }

  /** Clears the line and stops showing it. */
  stop(): void {
    this.#label = undefined;
    this.#erase();
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Writes with the line out of the way, and shows it again after when it was showing. */
  around(write: () => void): void {
    const label = this.#label;
    this.#erase();
    write();
    if (label !== undefined && this.#label === label) this.#draw();
  }

  /** `io` whose every write first clears the busy line (and stdout writes end it). */
  io(io: Io): Io {
    return {
      out: (text) => {
        this.stop();
        io.out(text);
      },
      write: (text) => {
        this.stop();
        io.write(text);
      },
      err: (text) => this.around(() => io.err(text)),
    };
  }

  #draw(): void {
    if (this.#label === undefined) return;
    this.#frame = (this.#frame + 1) % FRAMES.length;
    this.#write(`\r\x1b[K${FRAMES[this.#frame]} ${this.#label}…`);
    this.#shown = true;
  }

  #erase(): void {
    if (!this.#shown) return;
    this.#write("\r\x1b[K");
    this.#shown = false;
  }
}
