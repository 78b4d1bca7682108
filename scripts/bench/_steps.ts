/**
 * Where a delegation round trip's milliseconds go: each side's produce calls (start and end),
 * each record a side's subscriptions receive, and the worker's turn, as offsets from the moment
 * the requester starts to send. The summary prints the median offset of each step.
 *
 * Steps are kept per round trip (its task id, which every task record carries as its key) at the
 * wall clock's time in milliseconds ({@link wallMs}), so that a worker in another process on the
 * same machine can report its own steps (as lines of {@link stepLine}) after the fact.
 */
import net from "node:net";
import type { Door } from "../../core/agent/mod.ts";
import type { Transport } from "../../core/transport/mod.ts";

/** Marks step `step` of round trip `id`, at `at` (default now, {@link wallMs}). */
export type Mark = (id: string, step: string, at?: number) => void;

/** The wall clock in milliseconds, to the microsecond: the same clock in every process. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A step as a line a worker process prints, for {@link Steps.read} in the bench's process. */
export function stepLine(id: string, step: string, at = wallMs()): string {
  return JSON.stringify({ step, id, at });
}

/** The steps of the round trips measured, by round trip: when each happened. */
export class Steps {
  readonly #trips = new Map<string, { start: number; steps: [string, number][] }>();

  /** Round trip `id` starts now; `record` says whether its steps are kept (not in warm-up). */
  begin(id: string, record: boolean): void {
    if (record) this.#trips.set(id, { start: wallMs(), steps: [] });
  }

  /** A step of round trip `id` happened at `at`; the n-th such step counts as `<step> #n`. */
  readonly mark: Mark = (id, step, at = wallMs()) => {
    this.#trips.get(id)?.steps.push([step, at]);
  };

  /** A line a worker process printed: a step ({@link stepLine}) is marked, anything else ignored. */
  read(line: string): void {
    if (!line.startsWith("{")) return;
    const { id, step, at } = JSON.parse(line) as { id: string; step: string; at: number };
    this.mark(id, step, at);
  }

  /** The median offset of every step and how many round trips had it, in the order they happen. */
  medians(): { step: string; at: number; n: number }[] {
    const offsets = new Map<string, number[]>();
    for (const { start, steps } of this.#trips.values()) {
      const seen = new Map<string, number>();
      for (const [step, at] of [...steps].sort((a, b) => a[1] - b[1])) {
        const n = (seen.get(step) ?? 0) + 1;
        seen.set(step, n);
        const name = n === 1 ? step : `${step} #${n}`;
        offsets.set(name, [...(offsets.get(name) ?? []), at - start]);
      }
    }
    const median = (list: number[]) => [...list].sort((a, b) => a - b)[list.length >> 1]!;
    return [...offsets].map(([step, list]) => ({ step, at: median(list), n: list.length }))
      .sort((a, b) => a.at - b.at);
  }

  /**
   * Prints the median offset of every step, in the order they happen; with `beside`, that one's
   * median of the same step (by name) in a column of its own, a dash where it has no such step.
   */
  print(title: string, beside?: { readonly name: string; readonly steps: Steps }): void {
    const mine = this.medians();
    if (mine.length === 0) return;
    const theirs = beside?.steps.medians() ?? [];
    const other = new Map(theirs.map((row) => [row.step, row.at]));
    const ours = new Set(mine.map((row) => row.step));
    // Their steps we do not have go in at their own offset, with a dash in our column.
    const rows = [
      ...mine.map((row) => ({ ...row, at: row.at as number | undefined })),
      ...theirs.filter((row) => !ours.has(row.step)).map((row) => ({ ...row, at: undefined })),
    ].map((row) => ({ ...row, order: row.at ?? other.get(row.step)! }))
      .sort((a, b) => a.order - b.order);
    const column = (at: number | undefined) => (at?.toFixed(2) ?? "-").padStart(8);
    const head = beside ? `; beside it, ${beside.name}'s` : "";
    console.log(
      `\n${title} (median offset from the send, ms${head}; how many round trips had the step)`,
    );
    for (const { step, at, n } of rows) {
      const theirs = beside ? `  ${column(other.get(step))}` : "";
      console.log(`  ${column(at)}${theirs}  ${step} (${n})`);
    }
  }
}

/**
 * Marks `side`'s produce calls and received records on `transport`, by their key (task id), and
 * where each record's handler first waits or returns.
 */
export function watchTransport(side: string, transport: Transport, mark: Mark): void {
  const produce = transport.produce.bind(transport);
  const subscribe = transport.subscribe.bind(transport);
  const short = (topic: string) => topic.split(".").slice(2).join(".");
  transport.produce = async (records) => {
    const id = records[0]?.key ?? "";
    const what = `${side} produces ${records.map((r) => short(r.topic)).join(" + ")}`;
    mark(id, `${what}: start`);
    await produce(records);
    mark(id, `${what}: acknowledged`);
  };
  transport.subscribe = (options) =>
    subscribe({
      ...options,
      handler: (record) => {
        const id = typeof record.key === "string" ? record.key : "";
        mark(id, `${side} receives ${short(record.topic)}`);
        const result = options.handler(record);
        // Where the handler first waits (an async one) or returns: its synchronous part's end.
        mark(id, `${side}'s handler of ${short(record.topic)} returns or waits`);
        return result;
      },
    });
}

/** Marks the start and end of every task turn through `door` (session `task:<id>`). */
export function watchTurns(side: string, door: Door, mark: Mark): void {
  const enter = door.enter.bind(door);
  door.enter = async (message) => {
    const id = message.sessionKey?.replace(/^task:/, "") ?? "";
    mark(id, `${side}'s turn: start`);
    try {
      return await enter(message);
    } finally {
      mark(id, `${side}'s turn: end`);
    }
  };
}

/** Which side of the pair sends a request or a response on its socket, and which reads it. */
const SENDER = { request: "requester", response: "worker" } as const;
const READER = { request: "worker", response: "requester" } as const;

/**
 * Marks, in this process, when a socket writes or reads bytes that carry a round trip's request or
 * response (found by their envelope's `task_id` and `type`), from any Kafka client of the process:
 * so that a hop's time splits into the sender's client before its bytes leave, the broker and
 * the network, and the reader's client and transport after its bytes arrive. `side` names this
 * process's agent (the worker's own process); without it, the side is the one that sends or reads
 * such a record (the bench's process, which holds the requesters and the raw ping-pong's worker).
 * Only the bench calls this: it wraps every socket of the process.
 */
export function watchSockets(mark: Mark, side?: string): void {
  const proto = net.Socket.prototype as unknown as {
    write(chunk: unknown, ...rest: unknown[]): boolean;
    emit(event: string | symbol, ...args: unknown[]): boolean;
  };
  const latin1 = new TextDecoder("latin1");
  // A few microseconds per chunk, on both sides alike: larger chunks (a fetch of many spans) and
  // those without a task id are let through unread.
  const found = (chunk: unknown, at: number, how: "writes" | "reads") => {
    if (!(chunk instanceof Uint8Array) || chunk.length > 16_384) return;
    const text = latin1.decode(chunk);
    if (!text.includes('"task_id":"')) return;
    for (const m of text.matchAll(/"type":"(request|response)"[^]*?"task_id":"([^"]+)"/g)) {
      const type = m[1] as "request" | "response";
      const who = side ?? (how === "writes" ? SENDER : READER)[type];
      mark(m[2]!, `${who}'s socket ${how} the ${type}`, at);
    }
  };
  const { write, emit } = proto;
  proto.write = function (chunk, ...rest) {
    found(chunk, wallMs(), "writes");
    return write.call(this, chunk, ...rest);
  };
  proto.emit = function (event, ...args) {
    if (event === "data") found(args[0], wallMs(), "reads");
    return emit.call(this, event, ...args);
  };
}
