/**
 * `kafclaw group members`, and the roster `group status` counts: from the running agent's store
 * while one runs here (it wrote `group.alive_at` within 3 heartbeat intervals), else from the
 * group's topics. Reading the store loads neither the group's code nor the Kafka client; they are
 * imported only when the roster has to come from the topics.
 *
 * @module
 */
import { paths, type ResolvedConfig } from "../core/config/mod.ts";
import { type GroupManifest, importPublicKey } from "../core/protocol/mod.ts";
import type { Transport } from "../core/transport/mod.ts";
import type { CliContext } from "./_context.ts";
import { failure } from "./_errors.ts";
import { memberRunsHere, needBrokers, trustedConfig } from "./_group_config.ts";
import { table } from "./_table.ts";

/** A member as the commands print it. */
export interface MemberRow {
  readonly agent_id: string;
  readonly status: string;
  readonly load: { readonly running: number; readonly capacity: number };
  readonly skills: readonly string[];
  readonly last_seen: string;
}

/** The roster, and where it was read. */
export interface RosterRead {
  readonly source: "agent" | "topics";
  readonly members: MemberRow[];
  /** The group's manifest, read with the roster from the topics (the agent's store keeps none). */
  readonly manifest?: GroupManifest | undefined;
}

/** The roster: the running agent's, else the group's topics'. */
export async function roster(config: ResolvedConfig): Promise<RosterRead> {
  const { Timeline } = await import("../core/timeline/mod.ts");
  {
    using timeline = Timeline.open(paths(config).timeline);
    if (memberRunsHere(config, timeline)) {
      return {
        source: "agent",
        members: timeline.members.list().map((m) => ({
          agent_id: m.agentId,
          status: m.status,
          load: m.load,
          skills: m.skills,
          last_seen: m.lastSeen.toISOString(),
        })),
      };
    }
  }
  const read = await fromTopics(config, (group, ...args) => group.readRoster(...args));
  return {
    source: "topics",
    members: read.members.map((m) => ({
      agent_id: m.agentId,
      status: m.status,
      load: m.load,
      skills: m.skills,
      last_seen: new Date(m.lastSeen).toISOString(),
    })),
    manifest: read.manifest,
  };
}

/** The group's manifest as its roster topic says (for `group status` beside a running agent). */
export function groupManifest(config: ResolvedConfig): Promise<GroupManifest | undefined> {
  return fromTopics(config, (group, ...args) => group.readManifest(...args));
}

/**
 * Reads the group's topics with `read`, on a transport of its own, verified against the pinned
 * owner key in a signed group; a failure is told in one line.
 */
async function fromTopics<T>(
  config: ResolvedConfig,
  read: (
    group: typeof import("../core/group/mod.ts"),
    transport: Transport,
    name: string,
    options: { readonly ownerKey?: CryptoKey },
  ) => Promise<T>,
): Promise<T> {
  needBrokers(config);
  const [group, { groupTransport }] = await Promise.all([
    import("../core/group/mod.ts"),
    import("./_group.ts"),
  ]);
  const pinned = config.group.ownerPublicKey;
  const key = config.group.security === "signed" && pinned !== undefined
    ? await importPublicKey(pinned).catch(() => undefined)
    : undefined;
  const transport = await groupTransport(config, config.group.agentId ?? "reader");
  try {
    return await read(group, transport, config.group.name, key ? { ownerKey: key } : {});
  } catch (error) {
    throw failure(error);
  } finally {
    await transport.close();
  }
}

/** `group members`: the group's members, from the running agent or the group's topics. */
export async function groupMembers(ctx: CliContext, opts: { json?: boolean }): Promise<void> {
  // A running gateway's roster needs no brokers: its group may be in its own process. Where
  // no gateway ever ran, there is no store to read, and none is made to find that out.
  const config = await trustedConfig(ctx);
  if (!await Deno.stat(paths(config).timeline).then(() => true, () => false)) {
    needBrokers(config);
  }
  const { source, members } = await roster(config);
  if (opts.json) {
    ctx.io.out(JSON.stringify({ group: config.group.name, source, members }, null, 2));
    return;
  }
  ctx.io.out(
    `group "${config.group.name}": ${members.length} member(s), from ${
      source === "agent" ? "the running agent" : "the group's topics"
    }`,
  );
  if (members.length === 0) return;
  ctx.io.out(table([
    ["AGENT", "STATUS", "LOAD", "SKILLS", "LAST SEEN"],
    ...members.map((m) => [
      m.agent_id,
      m.status,
      `${m.load.running}/${m.load.capacity}`,
      m.skills.join(",") || "-",
      m.last_seen,
    ]),
  ]));
}
