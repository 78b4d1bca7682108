/**
 * The group's roster as this agent last saw it (`group_members`): who joined, their identity and
 * the load, skills and expertise of their last heartbeat. The running agent writes it; `kafclaw
 * group members` reads it while that agent runs.
 *
 * @module
 */
import type { Db, Row } from "./_db.ts";
import { date, int, json, optText, text } from "./_row.ts";

/** One member as stored. */
export interface StoredMember {
  readonly agentId: string;
  readonly agentName: string;
  readonly model: string;
  readonly role: string | undefined;
  readonly publicKey: string;
  readonly capabilities: readonly string[];
  readonly skills: readonly string[];
  readonly zones: readonly string[];
  /** `active` or `stale`. */
  readonly status: string;
  readonly heartbeatIntervalMs: number;
  readonly joinedAt: Date;
  readonly lastSeen: Date;
  readonly load: { readonly running: number; readonly capacity: number };
  readonly expertise: Readonly<Record<string, number>>;
}

/** The `members` repository of a Timeline. */
export class GroupMemberStore {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /** Adds a member or replaces what is known of it. */
  put(member: StoredMember): void {
    this.#db.run(
      `INSERT INTO group_members (agent_id, agent_name, model, role, public_key, capabilities,
          skills, zones, status, heartbeat_interval_ms, joined_at, last_seen, left_at,
          load_running, load_capacity, expertise)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, NULL, ?13, ?14, ?15)
        ON CONFLICT (agent_id) DO UPDATE SET agent_name = ?2, model = ?3, role = ?4,
          public_key = ?5, capabilities = ?6, skills = ?7, zones = ?8, status = ?9,
          heartbeat_interval_ms = ?10, joined_at = ?11, last_seen = ?12, left_at = NULL,
          load_running = ?13, load_capacity = ?14, expertise = ?15`,
      member.agentId,
      member.agentName,
      member.model,
      member.role,
      member.publicKey,
      JSON.stringify(member.capabilities),
      JSON.stringify(member.skills),
      JSON.stringify(member.zones),
      member.status,
      member.heartbeatIntervalMs,
      member.joinedAt,
      member.lastSeen,
      member.load.running,
      member.load.capacity,
      JSON.stringify(member.expertise),
    );
  }

  /** Removes a member (it left, or stayed silent too long); returns whether it was there. */
  remove(agentId: string): boolean {
    return this.#db.run("DELETE FROM group_members WHERE agent_id = ?", agentId) === 1;
  }

  /** Removes every member: the roster is rebuilt from the state topics at start. */
  clear(): void {
    this.#db.run("DELETE FROM group_members");
  }

  /** Every member, by id. */
  list(): StoredMember[] {
    return this.#db.all("SELECT * FROM group_members ORDER BY agent_id").map(memberOf);
  }
}

function strings(row: Row, name: string): string[] {
  return JSON.parse(text(row, name)) as string[];
}

function memberOf(row: Row): StoredMember {
  return {
    agentId: text(row, "agent_id"),
    agentName: text(row, "agent_name"),
    model: text(row, "model"),
    role: optText(row, "role"),
    publicKey: text(row, "public_key"),
    capabilities: strings(row, "capabilities"),
    skills: strings(row, "skills"),
    zones: strings(row, "zones"),
    status: text(row, "status"),
    heartbeatIntervalMs: int(row, "heartbeat_interval_ms"),
    joinedAt: date(row, "joined_at"),
    lastSeen: date(row, "last_seen"),
    load: { running: int(row, "load_running"), capacity: int(row, "load_capacity") },
    expertise: json(row, "expertise") as Record<string, number>,
  };
}
