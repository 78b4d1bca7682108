/**
 * The Kafka ACLs of a group (PROTOCOL.md, Membership and trust: "Kafka itself"): what each
 * agent's principal may do, and nothing more. Our signatures are the second line; these are the
 * first, enforced by the broker's authorizer.
 *
 * Every agent may, on the group's topics (`group.<g>.…`):
 * - read and write the state topics `announce`, `orchestrator`, `skills`; read `control.roster`;
 * - read and write `heartbeats`, `control.onboarding` (a newcomer asks and reads the answer),
 *   `requests` and every skill's requests (`skill.*`, prefixed), and the streams `responses`,
 *   `tasks.status`, `traces`, `observe.audit`, `memory.shared`, `memory.context`, `dead-letter`;
 * - create a skill's requests topic (`skill.*`): an agent that starts offering a skill nobody
 *   offered before makes its topic;
 * - read and write the topics of each zone it is given (`zone.<z>.*`, prefixed: its requests,
 *   inbox, streams), and of no other zone (`public` has none of its own: it is the group's topics);
 * - read its own inbox (and create it: an agent makes its inbox at start), and write every
 *   inbox (grants and retries go to another agent's inbox);
 * - describe the configs of the group's topics (every agent checks them at start);
 * and use, as a consumer, its own groups (`kafclaw.<g>.<id>` and `kafclaw.<g>.<id>.…`, deleting
 * the per-run state groups earlier builds made), the shared `kafclaw.<g>.workers`, skill groups and its zones' groups
 * (`kafclaw.<g>.zone.<z>`); a command that reads the group's topics whole (`kafclaw group
 * members`) fetches them in no group. The owner's agent may also write `control.roster`
 * (certificates, manifest), create and alter the group's topics, and read as a sponsor
 * (`kafclaw.<g>.sponsors`).
 *
 * Prefixes end with a `.`: ids hold none, so `kafclaw.g.al.` never covers `kafclaw.g.alice`, nor
 * `group.g.zone.lab.` `group.g.zone.labs.…`.
 *
 * @module
 */
import { agentInbox, isId, isMemberId, SHARED_GROUP_WORDS, topicsFor } from "../protocol/mod.ts";

/** One ACL binding, as Kafka's admin API takes it. */
export interface AclBinding {
  readonly resourceType: "TOPIC" | "GROUP";
  readonly resourceName: string;
  readonly patternType: "LITERAL" | "PREFIXED";
  readonly principal: string;
  readonly host: "*";
  readonly operation: AclOperation;
  readonly permission: "ALLOW";
}

/** The operations the bindings use. */
export type AclOperation =
  | "READ"
  | "WRITE"
  | "CREATE"
  | "DELETE"
  | "DESCRIBE_CONFIGS"
  | "ALTER_CONFIGS";

/** An agent to give ACLs, and the principal it connects as. */
export interface AclAgent {
  readonly agentId: string;
  /** Default `User:<agent id>`. */
  readonly principal?: string;
  /** The owner's agent: it sponsors, writes the roster and makes the group's topics. */
  readonly owner?: boolean;
  /** The zones its certificate names (default none but `public`, which has no topics). */
  readonly zones?: readonly string[];
}

/** The principal of an agent: the configured one, else `User:<agent id>`. */
export function principalOf(
  agentId: string,
  configured: Readonly<Record<string, string>> = {},
): string {
  return configured[agentId] ?? `User:${agentId}`;
}

/**
 * The bindings of every agent of `group`, in a stable order (by agent, then resource). Throws a
 * TypeError for an invalid or unsafe agent id.
 *
 * @example
 * ```ts
 * import { aclBindings } from "./acl.ts";
 * aclBindings("g1", [{ agentId: "alice" }]).length; // 41
 * ```
 */
export function aclBindings(group: string, agents: readonly AclAgent[]): AclBinding[] {
  return agents.flatMap((agent) => agentBindings(group, agent));
}

function agentBindings(group: string, agent: AclAgent): AclBinding[] {
  const { agentId } = agent;
  if (!isMemberId(agentId)) {
    throw new TypeError(
      `Cannot make ACLs for agent "${agentId}": not a valid agent id, or one whose consumer ` +
        `groups would share a name with the group's own (${SHARED_GROUP_WORDS.join(", ")})`,
    );
  }
  const zones = (agent.zones ?? []).filter((zone) => zone !== "public");
  const badZone = zones.find((zone) => !isId(zone));
  if (badZone !== undefined) {
    throw new TypeError(
      `Cannot make ACLs for agent "${agentId}": zone "${badZone}" is not a valid id`,
    );
  }
  const principal = agent.principal ?? `User:${agentId}`;
  const t = topicsFor(group);
  const prefix = `group.${group}.`;
  const own = `kafclaw.${group}.${agentId}`;
  const out: AclBinding[] = [];
  const add = (
    resourceType: AclBinding["resourceType"],
    resourceName: string,
    patternType: AclBinding["patternType"],
    operations: readonly AclOperation[],
  ) => {
    for (const operation of operations) {
      out.push({
        resourceType,
        resourceName,
        patternType,
        principal,
        host: "*",
        operation,
        permission: "ALLOW",
      });
    }
  };
  const readWrite = ["READ", "WRITE"] as const;
  add("TOPIC", t.roster, "LITERAL", agent.owner ? readWrite : ["READ"]);
  for (const topic of [t.announce, t.orchestrator, t.skills, t.heartbeats, t.onboarding]) {
    add("TOPIC", topic, "LITERAL", readWrite);
  }
  add("TOPIC", t.requests, "LITERAL", readWrite);
  add("TOPIC", `${prefix}skill.`, "PREFIXED", ["READ", "WRITE", "CREATE"]);
  for (
    const topic of [
      t.responses,
      t.tasksStatus,
      t.traces,
      t.audit,
      t.memoryShared,
      t.memoryContext,
      t.deadLetter,
    ]
  ) {
    add("TOPIC", topic, "LITERAL", readWrite);
  }
  for (const zone of [...new Set(zones)].sort()) {
    add("TOPIC", `${prefix}zone.${zone}.`, "PREFIXED", readWrite);
  }
  add("TOPIC", agentInbox(group, agentId), "LITERAL", ["READ", "CREATE"]);
  add("TOPIC", `${prefix}agent.`, "PREFIXED", ["WRITE"]);
  add(
    "TOPIC",
    prefix,
    "PREFIXED",
    agent.owner ? ["DESCRIBE_CONFIGS", "CREATE", "ALTER_CONFIGS"] : [
      "DESCRIBE_CONFIGS",
    ],
  );
  add("GROUP", own, "LITERAL", ["READ"]);
  add("GROUP", `${own}.`, "PREFIXED", ["READ", "DELETE"]);
  add("GROUP", `kafclaw.${group}.workers`, "LITERAL", ["READ"]);
  add("GROUP", `kafclaw.${group}.skill.`, "PREFIXED", ["READ"]);
  for (const zone of [...new Set(zones)].sort()) {
    add("GROUP", `kafclaw.${group}.zone.${zone}`, "LITERAL", ["READ"]);
  }
  if (agent.owner) add("GROUP", `kafclaw.${group}.sponsors`, "LITERAL", ["READ"]);
  return out;
}

/** A binding as one line: `ALLOW User:alice READ TOPIC group.g.requests (LITERAL)`. */
export function aclLine(binding: AclBinding): string {
  return `${binding.permission} ${binding.principal} ${binding.operation} ${binding.resourceType} ` +
    `${binding.resourceName} (${binding.patternType})`;
}
