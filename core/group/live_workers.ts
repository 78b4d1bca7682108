/**
 * Who can take a task: the live members of the group as their heartbeats describe them (skills,
 * load, expertise). The roster (membership) implements {@link LiveWorkers}; the task paths only
 * read it, to pick the inbox of a retry or of a declined task (PROTOCOL.md, semantics 3 and 4).
 *
 * @module
 */

/** A live member, as its latest heartbeat says. */
export interface LiveWorker {
  readonly agentId: string;
  readonly skills: readonly string[];
  readonly load: { readonly running: number; readonly capacity: number };
  /** The heartbeat interval it announced, in ms (absent: unknown). */
  readonly heartbeatIntervalMs?: number;
  /** Expertise score per skill, 0..1 (absent: unknown). */
  readonly expertise?: Readonly<Record<string, number>>;
}

/** The members alive now (neither stale nor removed). */
export interface LiveWorkers {
  live(): readonly LiveWorker[];
}

/** A {@link LiveWorkers} held in memory: set by whoever reads heartbeats, and by tests. */
export class LiveWorkerSet implements LiveWorkers {
  readonly #workers = new Map<string, LiveWorker>();

  /** Starts with `workers`. */
  constructor(workers: readonly LiveWorker[] = []) {
    for (const worker of workers) this.put(worker);
  }

  /** Adds a worker or replaces what was known of it. */
  put(worker: LiveWorker): void {
    this.#workers.set(worker.agentId, worker);
  }

  /** Forgets a worker (it left or went stale). */
  remove(agentId: string): void {
    this.#workers.delete(agentId);
  }

  /** The workers, by id. */
  live(): readonly LiveWorker[] {
    return [...this.#workers.values()].sort((a, b) => a.agentId.localeCompare(b.agentId));
  }
}

/** Whether `agentId` is among the live members of `workers`. */
export function isLive(workers: LiveWorkers, agentId: string): boolean {
  return workers.live().some((w) => w.agentId === agentId);
}

/**
 * The workers that could take a task, best first: live, offering `skill` (any, without one), not
 * in `exclude`; ranked by expertise in the skill, then most free capacity, then smallest id (so
 * every requester ranks alike).
 */
export function rankWorkers(
  workers: LiveWorkers,
  want: { readonly skill?: string | undefined; readonly exclude: readonly string[] },
): LiveWorker[] {
  const { skill, exclude } = want;
  return workers.live()
    .filter((w) => !exclude.includes(w.agentId))
    .filter((w) => skill === undefined || w.skills.includes(skill))
    .sort((a, b) =>
      scoreOf(b, skill) - scoreOf(a, skill) || freeOf(b) - freeOf(a) ||
      a.agentId.localeCompare(b.agentId)
    );
}

/** A worker's expertise score in `skill` (0 when it advertised none, or without a skill). */
export function scoreOf(worker: LiveWorker, skill: string | undefined): number {
  return skill === undefined ? 0 : worker.expertise?.[skill] ?? 0;
}

/** The share of a worker's capacity that is free, 0..1. */
function freeOf(worker: LiveWorker): number {
  const { running, capacity } = worker.load;
  return capacity <= 0 ? 0 : (capacity - running) / capacity;
}

/**
 * The worker whose inbox gets a task next: the first of {@link rankWorkers}. Undefined when
 * there is none.
 *
 * @example
 * ```ts
 * import { chooseWorker, LiveWorkerSet } from "./live_workers.ts";
 * const workers = new LiveWorkerSet([
 *   { agentId: "a", skills: ["sql"], load: { running: 3, capacity: 4 } },
 *   { agentId: "b", skills: ["sql"], load: { running: 0, capacity: 4 } },
 * ]);
 * console.assert(chooseWorker(workers, { skill: "sql", exclude: [] })?.agentId === "b");
 * ```
 */
export function chooseWorker(
  workers: LiveWorkers,
  want: { readonly skill?: string | undefined; readonly exclude: readonly string[] },
): LiveWorker | undefined {
  return rankWorkers(workers, want)[0];
}
