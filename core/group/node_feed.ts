/**
 * The orchestrator's node records (`node:<id>` on the orchestrator topic) as the membership reads
 * them: the roster feed (roster_feed.ts) is the topic's one reader, verifies each record as it
 * verifies the roster's, and hands node records here; the orchestrator (core/orchestrator) listens.
 * It starts after the membership has read the topic whole, so what was read before it listens is
 * kept and handed to it first: per node, its latest own record and its latest set-parent (status
 * `parent_set`), in the order they were appended, which leave a table in the state the whole
 * topic would.
 *
 * @module
 */
import type { EnvelopeOf } from "../protocol/mod.ts";

/** A node record as read: its envelope and the broker's append time. */
export interface NodeRecordRead {
  readonly envelope: EnvelopeOf<"orchestrator">;
  readonly appendTime: number;
}

/** Told of each node record. */
export type NodeListener = (read: NodeRecordRead) => void;

/** Node records kept for late listeners; see the module documentation. */
export class NodeFeed {
  readonly #kept = new Map<string, NodeRecordRead>();
  readonly #listeners = new Set<NodeListener>();

  /** A node record read: kept, and handed to every listener. */
  add(read: NodeRecordRead): void {
    const node = read.envelope.payload.node as { agent_id: string; status: string };
    const kind = node.status === "parent_set" ? "parent" : "own";
    this.#kept.set(`${kind}:${node.agent_id}`, read);
    for (const listener of this.#listeners) listener(read);
  }

  /** The records kept, in append order. */
  kept(): NodeRecordRead[] {
    return [...this.#kept.values()].sort((a, b) => a.appendTime - b.appendTime);
  }

  /** Hands `listener` the records kept, then every new one; returns how to stop. */
  listen(listener: NodeListener): () => void {
    for (const read of this.kept()) listener(read);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
