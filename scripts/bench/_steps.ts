/**
 * Where a delegation round trip's milliseconds go: each side's produce calls (start and end),
 * each record a side's subscriptions receive, and the worker's turn, as offsets from the moment
 * the requester starts to send. The summary prints the median offset of each step.
 */
import type { Door } from "../../core/agent/mod.ts";
import type { Transport } from "../../core/transport/mod.ts";

/** The steps of the round trips measured, by name: their offsets (ms) in each round trip. */
export class Steps {
  readonly #offsets = new Map<string, number[]>();
  #start = 0;
  readonly #seen = new Map<string, number>();
  #on = false;

  /** A new round trip starts now; `record` says whether its steps are kept (not in warm-up). */
  begin(record: boolean): void {
    this.#start = performance.now();
    this.#seen.clear();
    this.#on = record;
  }

  /** A step happened now; the n-th time in the same round trip it counts as `<step> #n`. */
  mark(step: string): void {
    if (!this.#on) return;
    const n = (this.#seen.get(step) ?? 0) + 1;
    this.#seen.set(step, n);
    const name = n === 1 ? step : `${step} #${n}`;
    const list = this.#offsets.get(name) ?? [];
    list.push(performance.now() - this.#start);
    this.#offsets.set(name, list);
  }

  /** Marks `side`'s produce calls and received records on `transport`. */
  watch(side: string, transport: Transport): void {
    const produce = transport.produce.bind(transport);
    const subscribe = transport.subscribe.bind(transport);
    const short = (topic: string) => topic.split(".").slice(2).join(".");
    transport.produce = async (records) => {
      const what = `${side} produces ${records.map((r) => short(r.topic)).join(" + ")}`;
      this.mark(`${what}: start`);
      await produce(records);
      this.mark(`${what}: acknowledged`);
    };
    transport.subscribe = (options) =>
      subscribe({
        ...options,
        handler: (record) => {
          this.mark(`${side} receives ${short(record.topic)}`);
          return options.handler(record);
        },
      });
  }

  /** Marks the start and end of every turn through `door`. */
  watchTurns(side: string, door: Door): void {
    const enter = door.enter.bind(door);
    door.enter = async (message) => {
      this.mark(`${side}'s turn: start`);
      try {
        return await enter(message);
      } finally {
        this.mark(`${side}'s turn: end`);
      }
    };
  }

  /** Prints the median offset of every step, in the order they happen. */
  print(title: string): void {
    if (this.#offsets.size === 0) return;
    const median = (list: number[]) => [...list].sort((a, b) => a - b)[list.length >> 1]!;
    const rows = [...this.#offsets].map(([step, list]) => ({
      step,
      at: median(list),
      n: list.length,
    }))
      .sort((a, b) => a.at - b.at);
    console.log(`\n${title} (median offset from the send, ms; how many round trips had the step)`);
    for (const { step, at, n } of rows) {
      console.log(`  ${at.toFixed(2).padStart(8)}  ${step} (${n})`);
    }
  }
}
