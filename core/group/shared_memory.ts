/**
 * The group's shared memory (PROTOCOL.md `memory`, semantics 8-10), both ways.
 *
 * - Out: {@link SharedMemory.share} (behind the `share_memory` tool) publishes an item to
 *   `memory.shared`, or with a time to live to `memory.context`, or in a zone's task to that zone's
 *   `memory` topic, in parts (memory_parts.ts) each carrying the sha256 of the whole. What a
 *   tainted turn shares says `taint: "untrusted"`. The sender keeps to its own quota too.
 * - In: {@link SharedMemory.handle} reads those topics. A record is parsed and its sender checked
 *   (`trust`); its `author_id` must be its sender; an LFS pointer is refused (no bucket is
 *   configured); a context item must expire and is refused once it has; the author's quota
 *   (memory_quota.ts) is charged; parts are put together and the whole checked for size and hash.
 *   The whole item is indexed into the agent's memory as work on the subscription's executor
 *   (never in the handler), as source `group:<author>`, in the zone of its topic (never a field's),
 *   untrusted unless the sender's certificate says vouched and the record does not say untrusted.
 * - Every refusal is audited once per item; a record that is too large, mis-hashed or malformed
 *   is poison to the transport as well (PROTOCOL.md, Envelope: on a stream it is counted, not
 *   dead-lettered, so one bad record does not become a copy per member).
 * - {@link SharedMemory.sweep} deletes the memories that expired and the parts that waited too
 *   long; the gateway runs it on a timer. Searches never see an expired memory even before it.
 *
 * @module
 */
import {
  type EnvelopeOf,
  memoryKey,
  parseRecord,
  parseTopic,
  PROTOCOL_VERSION,
  topicsFor,
  zoneTopic,
} from "../protocol/mod.ts";
import type { GroupItem } from "../memory/mod.ts";
import type { MemorySharer, ShareRequest, ToolContext } from "../tools/mod.ts";
import type { HandlerResult, InboundRecord, OutboundRecord } from "../transport/mod.ts";
import {
  byteLength,
  DEFAULT_SHARED_MEMORY_LIMITS,
  PartsAssembler,
  type PartsJournal,
  type SharedMemoryLimits,
  splitContent,
} from "./memory_parts.ts";
import { contentHash } from "./spans.ts";
import { AuthorQuotas, DEFAULT_MEMORY_QUOTA, type MemoryQuota } from "./memory_quota.ts";
import type { Trust } from "./task_intake.ts";

/** Why a memory record was refused, as the audit records it. */
export interface MemoryRefusal {
  /** `poison_record` (too large, mis-hashed, malformed), `memory_refused` (valid, not taken). */
  readonly eventType: "poison_record" | "memory_refused";
  readonly authorId: string;
  readonly itemId: string | undefined;
  readonly topic: string;
  readonly detail: string;
}

/** Where received items go: the agent's memory. */
export interface SharedMemorySink {
  indexGroupItem(item: GroupItem, options?: { readonly signal?: AbortSignal }): Promise<unknown>;
  purgeExpired(): number;
}

/** What a {@link SharedMemory} is built from. */
export interface SharedMemoryDeps {
  readonly group: string;
  readonly agentId: string;
  /** Sends records (signed, in a signed group). */
  readonly send: (records: readonly OutboundRecord[]) => Promise<void>;
  /** Checks senders (the membership's trust). */
  readonly trust: Trust;
  readonly memory: SharedMemorySink;
  /** Called for every refusal. */
  readonly audit: (refusal: MemoryRefusal) => void;
  /** Default {@link DEFAULT_SHARED_MEMORY_LIMITS}. */
  readonly limits?: SharedMemoryLimits;
  /** Keeps parts that wait for the rest across restarts (default: in memory only). */
  readonly parts?: PartsJournal;
  /** Each author's quota, as received (and as this agent keeps to). Default {@link DEFAULT_MEMORY_QUOTA}. */
  readonly quota?: MemoryQuota;
  /** ms since the epoch. */
  readonly now?: () => number;
}

/** How many refused items are remembered, so that their later parts are dropped quietly. */
const REFUSED_KEPT = 1_000;

type MemoryEnvelope = EnvelopeOf<"memory">;

/** See the module documentation. */
export class SharedMemory implements MemorySharer {
  readonly #deps: SharedMemoryDeps;
  readonly #limits: SharedMemoryLimits;
  readonly #now: () => number;
  readonly #assembler: PartsAssembler;
  readonly #received: AuthorQuotas;
  readonly #sent: AuthorQuotas;
  readonly #refused = new Set<string>();
  /** Items indexed, for tests and status. */
  indexed = 0;

  constructor(deps: SharedMemoryDeps) {
    this.#deps = deps;
    this.#limits = deps.limits ?? DEFAULT_SHARED_MEMORY_LIMITS;
    this.#now = deps.now ?? Date.now;
    this.#assembler = new PartsAssembler(this.#limits, deps.parts);
    this.#received = new AuthorQuotas(deps.quota ?? DEFAULT_MEMORY_QUOTA);
    this.#sent = new AuthorQuotas(deps.quota ?? DEFAULT_MEMORY_QUOTA);
  }

  /** Takes back the parts kept before a restart, before reading again; how many items wait. */
  restore(): Promise<number> {
    return this.#assembler.restore();
  }

  /** Publishes an item; resolves with its id. Rejects, saying why, when it is too large or over quota. */
  async share(request: ShareRequest, ctx: ToolContext): Promise<string> {
    const { group, agentId } = this.#deps;
    const bytes = byteLength(request.content);
    if (bytes > this.#limits.itemBytes) {
      throw new Error(
        `Cannot share ${bytes} bytes: an item holds at most ${this.#limits.itemBytes}`,
      );
    }
    const now = this.#now();
    const over = this.#sent.charge(agentId, { bytes, newItem: true }, now);
    if (over !== undefined) throw new Error(`Cannot share now: ${over}`);
    const zone = ctx.scope?.zone;
    const topics = topicsFor(group);
    const topic = zone !== undefined
      ? zoneTopic(group, zone, "memory")
      : request.ttlSeconds !== undefined
      ? topics.memoryContext
      : topics.memoryShared;
    const itemId = `mem-${crypto.randomUUID()}`;
    const slices = splitContent(request.content, this.#limits.partBytes);
    const fields = {
      item_id: itemId,
      author_id: agentId,
      title: request.title,
      content_type: "text/plain",
      sha256: contentHash(request.content),
      tags: [...request.tags],
      ...(zone === undefined ? {} : { zone }),
      created_at: new Date(now).toISOString(),
      ...(request.ttlSeconds === undefined
        ? {}
        : { expires_at: new Date(now + request.ttlSeconds * 1000).toISOString() }),
    };
    const records = slices.map((content, part): OutboundRecord => {
      const split = slices.length > 1;
      const payload = { ...fields, content, ...(split ? { part, parts: slices.length } : {}) };
      const key = memoryKey(itemId, split ? part : undefined);
      return {
        topic,
        key,
        value: JSON.stringify({
          type: "memory",
          correlation_id: itemId,
          sender_id: agentId,
          timestamp: new Date(now).toISOString(),
          protocol: PROTOCOL_VERSION,
          taint: ctx.taint === "untrusted" ? "untrusted" : "trusted",
          payload,
        }),
      };
    });
    await this.#deps.send(records);
    return itemId;
  }

  /** The handler of the memory topics; see the module documentation. */
  readonly handle = async (record: InboundRecord): Promise<HandlerResult> => {
    const parsed = parseRecord(record);
    if (!parsed.ok) {
      return this.#refuse(record, undefined, "poison_record", parsed.error.message);
    }
    // A memory topic holds memory records only: parseRecord refuses any other type on it.
    const envelope = parsed.envelope as MemoryEnvelope;
    const verdict = await this.#deps.trust(record, envelope);
    // The trust audits what it drops.
    if (!verdict.ok) return { poison: verdict.reason };
    const item = envelope.payload;
    const key = `${item.author_id}\n${item.item_id}`;
    if (this.#refused.has(key)) return;
    const refuse = (eventType: MemoryRefusal["eventType"], detail: string) => {
      this.#assembler.forget(item.author_id, item.item_id);
      this.#remember(key);
      return this.#refuse(record, envelope, eventType, detail);
    };
    if (item.author_id !== envelope.sender_id) {
      return refuse("poison_record", `its author_id names ${item.author_id}, not its sender`);
    }
    if (typeof item.content !== "string") {
      return refuse("memory_refused", "it points to an LFS object, and no bucket is configured");
    }
    const now = this.#now();
    const where = parseTopic(record.topic);
    const zone = where?.role === "zone" ? where.zone : undefined;
    if (where?.role === "memoryContext" && item.expires_at === undefined) {
      return refuse("poison_record", 'a context item without "expires_at"');
    }
    const expiresAt = item.expires_at === undefined ? undefined : new Date(item.expires_at);
    if (expiresAt !== undefined && expiresAt.getTime() <= now) {
      return refuse("memory_refused", `it expired at ${item.expires_at}, before it came`);
    }
    const bytes = byteLength(item.content);
    const newItem = item.part === undefined || !this.#assembler.has(item.author_id, item.item_id);
    const over = this.#received.charge(item.author_id, { bytes, newItem }, now);
    if (over !== undefined) return refuse("memory_refused", `over quota: ${over}`);
    const assembly = await this.#assembler.accept({ ...item, content: item.content }, now);
    if (assembly.kind === "waiting") return;
    if (assembly.kind === "refused") {
      return refuse("poison_record", `${assembly.cause}: ${assembly.reason}`);
    }
    const whole = assembly.item.payload;
    const taint = verdict.vouched && envelope.taint !== "untrusted" ? "trusted" : "untrusted";
    const groupItem: GroupItem = {
      itemId: whole.item_id,
      authorId: whole.author_id,
      title: whole.title,
      content: whole.content,
      tags: whole.tags,
      zone,
      taint,
      expiresAt,
    };
    return {
      work: async () => {
        await this.#deps.memory.indexGroupItem(groupItem);
        this.indexed++;
      },
    };
  };

  /** Deletes expired memories and gives up on parts that waited too long; returns the chunks deleted. */
  sweep(): number {
    for (const key of this.#assembler.sweep(this.#now())) {
      const [authorId = "", itemId] = key.split("\n");
      this.#deps.audit({
        eventType: "memory_refused",
        authorId,
        itemId,
        topic: "",
        detail: `its parts did not all come within ${this.#limits.partsWaitMs} ms`,
      });
    }
    return this.#deps.memory.purgeExpired();
  }

  #refuse(
    record: InboundRecord,
    envelope: MemoryEnvelope | undefined,
    eventType: MemoryRefusal["eventType"],
    detail: string,
  ): HandlerResult {
    this.#deps.audit({
      eventType,
      authorId: envelope?.sender_id ?? "unknown",
      itemId: envelope?.payload.item_id,
      topic: record.topic,
      detail,
    });
    return eventType === "poison_record" ? { poison: detail } : undefined;
  }

  #remember(key: string): void {
    this.#refused.add(key);
    if (this.#refused.size > REFUSED_KEPT) {
      this.#refused.delete(this.#refused.values().next().value!);
    }
  }
}
