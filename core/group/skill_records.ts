/**
 * Who offers which skill, as the group's skills topic says (PROTOCOL.md, `skill`): one state
 * record per skill, keyed `skill:<name>`, listing its providers `{agent_id, zones, since}`. One
 * record per skill, so agents offering different skills never overwrite each other.
 *
 * Two agents changing the same skill at once may each write a list the other is missing from;
 * the rule that settles it: every agent keeps its own entry right. When the latest record of a
 * skill it offers leaves it out, it writes the record again with itself added, and when the
 * latest record of a skill it no longer offers lists it, again without it (skills.ts). The last
 * write of each skill then lists exactly the agents that offer it. An agent that dies without a
 * word is taken off by the members that see it go (gone_workers.ts), and writes itself back in
 * if it returns; our requesters pick among providers that are alive (heartbeats) in any case.
 *
 * @module
 */
import { type EnvelopeOf, PROTOCOL_VERSION, skillKey, topicsFor } from "../protocol/mod.ts";
import type { OutboundRecord } from "../transport/mod.ts";

/** One provider of a skill, as the skill's record lists it. */
export interface SkillProvider {
  readonly agent_id: string;
  readonly zones: readonly string[];
  /** When it started offering the skill (RFC 3339). */
  readonly since: string;
}

/** The `skill` record of `skill` listing `providers`, sent by `sender`. */
export function skillRecord(
  group: string,
  sender: string,
  skill: { readonly name: string; readonly providers: readonly SkillProvider[] },
  now = new Date(),
): OutboundRecord {
  const providers = [...skill.providers].sort((a, b) => a.agent_id.localeCompare(b.agent_id));
  return {
    topic: topicsFor(group).skills,
    key: skillKey(skill.name),
    value: JSON.stringify({
      type: "skill",
      correlation_id: `skill-${crypto.randomUUID()}`,
      sender_id: sender,
      timestamp: now.toISOString(),
      protocol: PROTOCOL_VERSION,
      payload: { skill: skill.name, providers },
    }),
  };
}

/** `providers` with `provider` in (replacing an older entry of the same agent). */
export function withProvider(
  providers: readonly SkillProvider[],
  provider: SkillProvider,
): SkillProvider[] {
  return [...withoutProvider(providers, provider.agent_id), provider];
}

/** `providers` without `agentId`. */
export function withoutProvider(
  providers: readonly SkillProvider[],
  agentId: string,
): SkillProvider[] {
  return providers.filter((p) => p.agent_id !== agentId);
}

/** What changed in a {@link SkillDirectory}: the skill whose record came. */
export type SkillListener = (skill: string, providers: readonly SkillProvider[]) => void;

/**
 * The skill → providers map, built from the skills topic read from the beginning (a newcomer has
 * it once its state subscription caught up). The latest record of each skill wins.
 */
export class SkillDirectory {
  readonly #skills = new Map<string, readonly SkillProvider[]>();
  readonly #listeners: SkillListener[] = [];

  /** Applies a `skill` record (already parsed and, in a signed group, verified). */
  apply(envelope: EnvelopeOf<"skill">): void {
    const { skill, providers } = envelope.payload;
    const list = providers.map((p) => ({
      agent_id: p.agent_id,
      zones: [...p.zones],
      since: p.since,
    }));
    this.#skills.set(skill, list);
    for (const listener of this.#listeners) listener(skill, list);
  }

  /** Calls `listener` after each record applied. */
  listen(listener: SkillListener): void {
    this.#listeners.push(listener);
  }

  /** The providers of `skill` as its latest record lists them (empty when none). */
  providers(skill: string): readonly SkillProvider[] {
    return this.#skills.get(skill) ?? [];
  }

  /** Every skill with a record, by name, and its providers' ids (a skill nobody offers: none). */
  all(): { readonly skill: string; readonly providers: readonly string[] }[] {
    return [...this.#skills.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([skill, providers]) => ({ skill, providers: providers.map((p) => p.agent_id) }));
  }
}
