/**
 * A send repeated in the background (a heartbeat, a node's announcement) that fails is said once,
 * in one line, and so is the first that goes again after it; Kafka out of reach is left to the
 * transport's reachability lines. Before, each loop swallowed its failures, and an agent that
 * could no longer send showed nothing while the group took it for gone.
 *
 * @module
 */

/** The two lines of one repeated send. */
export interface OutageLines {
  /** The failure, given its reason in one line. */
  readonly failed: (why: string) => string;
  readonly again: string;
}

/** The state of one repeated send; see the module documentation. */
export class OutageNotice {
  readonly #say: ((line: string) => void) | undefined;
  readonly #lines: OutageLines;
  /** Whether the last send failed, and whether that was said. */
  #failing: false | "said" | "quiet" = false;

  constructor(say: ((line: string) => void) | undefined, lines: OutageLines) {
    this.#say = say;
    this.#lines = lines;
  }

  /** A send went. */
  sent(): void {
    if (this.#failing === "said") this.#say?.(this.#lines.again);
    this.#failing = false;
  }

  /** A send failed with `error`. */
  failed(error: unknown): void {
    if (this.#failing !== false) return;
    const unreachable = error instanceof Error && error.name === "KafkaUnreachableError";
    this.#failing = unreachable ? "quiet" : "said";
    if (unreachable) return;
    const why = error instanceof Error ? error.message.split("\n", 1)[0]! : String(error);
    this.#say?.(this.#lines.failed(why));
  }
}
