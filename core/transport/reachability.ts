/**
 * Whether a long-lived client reaches Kafka now, told once per change: Kafka lost (the client's
 * retries ran out on a failed connection) and Kafka back (a request answered again). A blip that
 * kafkajs's retries ride out is no change; a client that never reached Kafka says nothing, since
 * its start fails with the error itself; and once Kafka is back, a failure of work that began
 * before then is no news of now (a call whose retries ran out on attempts made while Kafka was
 * away, after another call was answered again).
 *
 * @module
 */
import type { KafkaUnreachableError } from "./unreachable.ts";

/** A change of reachability: lost, with the error that says where and why, or back. */
export type ReachabilityChange =
  | { readonly reachable: false; readonly error: KafkaUnreachableError }
  | { readonly reachable: true; readonly brokers: readonly string[] };

/** Turns the client's successes and connection failures into changes, one per transition. */
export class Reachability {
  readonly #brokers: readonly string[];
  readonly #onChange: (change: ReachabilityChange) => void;
  #state: "unknown" | "up" | "down" = "unknown";
  /** When Kafka was last told back (performance.now()). */
  #backAt = -Infinity;

  constructor(brokers: readonly string[], onChange: (change: ReachabilityChange) => void) {
    this.#brokers = brokers;
    this.#onChange = onChange;
  }

  /** Kafka answered. */
  reached(): void {
    const was = this.#state;
    this.#state = "up";
    if (was !== "down") return;
    this.#backAt = performance.now();
    this.#onChange({ reachable: true, brokers: this.#brokers });
  }

  /**
   * A connection failed after the client's retries, in work that was last fine at `since`
   * (performance.now(): a call's start, a consumer's last answered fetch or heartbeat): when Kafka
   * was told back after that, the failure is of the time it was away.
   */
  lost(error: KafkaUnreachableError, since: number): void {
    const was = this.#state;
    if (was === "unknown" || since < this.#backAt) return;
    this.#state = "down";
    if (was === "up") this.#onChange({ reachable: false, error });
  }
}
