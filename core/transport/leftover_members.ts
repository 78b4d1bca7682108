/**
 * Consumer group members left behind by crashed processes of this host. A process killed
 * (SIGKILL, a power cut, an OOM kill) does not leave its groups: the broker keeps its members
 * until their session times out (30 s by default), so an agent started again at once would take
 * them for a second copy of itself, and a shared group would wait for them at its next rebalance.
 *
 * {@link LeftoverMembers.reclaim} describes a group, removes the members whose run tag
 * (run_tag.ts) proves their process gone, with a LeaveGroup request naming their member ids (what
 * Kafka's own admin client does to remove members; kafkajs's admin has no such call, but its
 * brokers speak LeaveGroup v3, which removes a member by id), and returns the members left, live
 * or not known to be dead.
 *
 * @module
 */
import type { Admin, Cluster } from "kafkajs";
import { readSubscription } from "./member_metadata.ts";
import {
  decodeRunTag,
  leftBehind,
  type Liveness,
  type RunTag,
  sameHost,
  type ThisRun,
} from "./run_tag.ts";
import type { GroupHolder } from "./types.ts";

/** The part of kafkajs's broker connection used here (its types leave LeaveGroup out). */
interface Coordinator {
  leaveGroup(request: { groupId: string; memberId: string }): Promise<unknown>;
}

/**
 * The run tag in a member's group metadata, if any. Metadata is the member's client's to write
 * (kafkajs, Java, Python, Go, or anything speaking the protocol): what does not read as a
 * subscription (member_metadata.ts) holding our tag is no tag, never an error.
 */
export function memberRunTag(metadata: Uint8Array | null | undefined): RunTag | undefined {
  return decodeRunTag(readSubscription(metadata)?.userData);
}

/** Finds and removes leftover members; see the module documentation. */
export class LeftoverMembers {
  readonly #admin: () => Promise<Admin>;
  readonly #me: ThisRun | undefined;
  readonly #live: Liveness;
  readonly #cluster: () => Promise<Cluster>;

  /**
   * `cluster`: a connection of kafkajs's own (kafka_cluster.ts), for LeaveGroup; `me`: this
   * process's tag, as its consumers send it; `live`: how runs are checked.
   */
  constructor(
    cluster: () => Promise<Cluster>,
    admin: () => Promise<Admin>,
    at: { readonly me: ThisRun | undefined; readonly live?: Liveness },
  ) {
    this.#admin = admin;
    this.#me = at.me;
    this.#live = at.live ?? {};
    this.#cluster = cluster;
  }

  /**
   * Removes from `groupId` the members left by gone processes of this host; returns the others,
   * each with its pid when its tag says, and its host when the tag proves it this one (the name
   * is this process's own, never read from the metadata).
   */
  async reclaim(groupId: string): Promise<GroupHolder[]> {
    const { groups } = await (await this.#admin()).describeGroups([groupId]);
    const kept: GroupHolder[] = [];
    const gone: string[] = [];
    for (const member of groups[0]?.members ?? []) {
      const tag = memberRunTag(member.memberMetadata);
      if (await leftBehind(tag, this.#me, this.#live)) gone.push(member.memberId);
      else kept.push(this.#holder(tag));
    }
    if (gone.length > 0) {
      const coordinator = await (await this.#cluster()).findGroupCoordinator({ groupId });
      for (const memberId of gone) {
        await (coordinator as unknown as Coordinator).leaveGroup({ groupId, memberId })
          .catch((error) => {
            // Its session ended meanwhile: it is gone all the same.
            if ((error as { type?: string }).type !== "UNKNOWN_MEMBER_ID") throw error;
          });
      }
    }
    return kept;
  }

  #holder(tag: RunTag | undefined): GroupHolder {
    if (tag === undefined) return {};
    if (sameHost(tag, this.#me)) return { pid: tag.pid, host: this.#me!.host };
    const elsewhere = tag.place !== undefined && this.#me?.tag.place !== undefined;
    return { pid: tag.pid, ...(elsewhere ? { elsewhere } : {}) };
  }
}
