/**
 * A running node of the orchestrator's hierarchy (a gateway with `orchestrator.enabled`): it
 * fills its {@link NodeTable} from the node records the membership has read (the orchestrator
 * topic, a state topic read whole at start with the roster's, each record verified as theirs are;
 * core/group `NodeFeed`), then announces its own node record and announces it again every
 * heartbeat interval; {@link Orchestrator.stop} sends its record with status `left`, so the others take it
 * out at once.
 *
 * Its parent comes from `orchestrator.parentId`, unless a set-parent record for it says otherwise
 * (written while it ran, or while it was away): then it takes that parent, and its own records
 * say who set it, so the choice outlives restarts until the next set-parent.
 *
 * @module
 */
import { type NodeListener, OutageNotice } from "../group/mod.ts";
import type { Envelope } from "../protocol/mod.ts";
import type { OutboundRecord } from "../transport/mod.ts";
import { Hierarchy } from "./hierarchy.ts";
import { type NodePayload, NodeTable } from "./node_table.ts";
import { nodeRecord } from "./node_records.ts";

/** The part of the membership an orchestrator needs (core/group `Membership`). */
export interface OrchestratorMember {
  /** The node records read, those read already first (core/group `NodeFeed`). */
  readonly nodes: { listen(listener: NodeListener): () => void };
  send(records: readonly OutboundRecord[]): Promise<void>;
}

/** This node as its config describes it. */
export interface SelfNode {
  readonly agentId: string;
  readonly agentName: string;
  readonly role: string;
  readonly parentId?: string | undefined;
  readonly zones: readonly string[];
  readonly endpoint: string;
}

/** What an {@link Orchestrator} is built from. */
export interface OrchestratorOptions {
  readonly group: string;
  readonly member: OrchestratorMember;
  readonly self: SelfNode;
  /** How often the node announces itself again (the group's heartbeat interval). */
  readonly heartbeatIntervalMs: number;
  /** Told when the node's announcements cannot be sent, and when they go again. */
  readonly warn?: ((line: string) => void) | undefined;
  readonly now?: () => number;
}

/** A running node; see the module documentation. */
export class Orchestrator {
  readonly table = new NodeTable();
  readonly #options: OrchestratorOptions;
  readonly #now: () => number;
  /** The announcements' failures, said. */
  readonly #announced: OutageNotice;
  #self: NodePayload;
  #unlisten: (() => void) | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #started = false;

  private constructor(options: OrchestratorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const { self } = options;
    this.#self = {
      agent_id: self.agentId,
      agent_name: self.agentName,
      role: self.role,
      parent_id: self.parentId ?? "",
      zones: [...self.zones],
      endpoint: self.endpoint,
      status: "active",
      heartbeat_interval_ms: options.heartbeatIntervalMs,
    };
    this.#announced = new OutageNotice(options.warn, {
      failed: (why) =>
        `Cannot announce the node of "${self.agentId}" to group "${options.group}": ${why}; ` +
        "the hierarchy leaves it out as inactive until one goes",
      again: `The node of "${self.agentId}" is announced to group "${options.group}" again`,
    });
  }

  /** Reads the table, announces the node, and keeps announcing it; see the module documentation. */
  static async start(options: OrchestratorOptions): Promise<Orchestrator> {
    const o = new Orchestrator(options);
    o.#unlisten = options.member.nodes.listen((read) => o.#apply(read.envelope, read.appendTime));
    o.#adoptParent();
    o.#started = true;
    await o.announce();
    o.#timer = setInterval(() => o.#announceAgain(), options.heartbeatIntervalMs);
    return o;
  }

  /** This node's record as it announces it now. */
  get self(): NodePayload {
    return this.#self;
  }

  /** The hierarchy as the table says at `now`. */
  hierarchy(now = this.#now()): Hierarchy {
    return new Hierarchy(this.table.nodes(), now);
  }

  /** The announcement of the interval: one that fails is said once (core/group outage.ts). */
  #announceAgain(): void {
    this.announce().then(() => this.#announced.sent(), (error) => this.#announced.failed(error));
  }

  /** Sends this node's record. */
  announce(): Promise<void> {
    const { group, member } = this.#options;
    return member.send([nodeRecord(group, this.#self.agent_id, this.#self, new Date(this.#now()))]);
  }

  #apply(envelope: Envelope, appendTime: number): void {
    const change = this.table.apply(envelope, appendTime);
    if (
      this.#started && change?.kind === "parent_set" && change.agentId === this.#self.agent_id &&
      this.#adoptParent()
    ) {
      this.announce().catch(() => {});
    }
  }

  /** Takes the parent a set-parent record gave this node; whether it changed. */
  #adoptParent(): boolean {
    const known = this.table.get(this.#self.agent_id);
    if (known?.parentSetBy === undefined) return false;
    const parentId = known.parentId ?? "";
    const changed = parentId !== this.#self.parent_id || this.#self.parent_set_by === undefined;
    if (changed) {
      this.#self = { ...this.#self, parent_id: parentId, parent_set_by: known.parentSetBy };
    }
    return changed;
  }

  /** Stops announcing and listening, and sends the record that says the node left. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#unlisten?.();
    this.#self = { ...this.#self, status: "left" };
    await this.announce();
  }
}
