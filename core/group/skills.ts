/**
 * The skills an agent offers its group, while it runs (PROTOCOL.md, semantics 1 and `skill`):
 *
 * - each offered skill has its work topic `group.<g>.skill.<s>.requests` (made by the first agent
 *   that offers it, with its full configuration) read through the skill's shared consumer group
 *   `kafclaw.<g>.skill.<s>` (roundrobin assignor, like the requests work queue), so Kafka gives a
 *   skill task's first attempt to exactly one provider;
 * - the agent's `skill` record lists it among the skill's providers (skill_records.ts), and it
 *   keeps its own entry right as records of others arrive;
 * - its announce and heartbeats name the skills (membership.ts), which is what requesters choose
 *   the inbox of a retry or a declined task from.
 *
 * An agent's skills are fixed for the life of a consumer: {@link Skills.offer} closes the consumers
 * of skills no longer offered and starts those of new ones, so a running gateway takes a skill
 * added to config.json without a restart of the process. {@link Skills.withdraw} takes the agent
 * off every skill's record (when it leaves the group), and {@link Skills.drop} another member
 * found gone (gone_workers.ts), one that died without a word.
 *
 * @module
 */
import { settleAll } from "../errors/mod.ts";
import {
  deadLetterTopicFor,
  skillConsumerGroup,
  skillRequests,
  topicSpec,
  type TopicSpecOptions,
} from "../protocol/mod.ts";
import type { OutboundRecord, RecordHandler, Subscription, Transport } from "../transport/mod.ts";
import {
  type SkillDirectory,
  type SkillProvider,
  skillRecord,
  withoutProvider,
  withProvider,
} from "./skill_records.ts";

/** The part of the membership the skills need. */
export interface SkillsMembership {
  readonly group: string;
  readonly agentId: string;
  readonly skills: SkillDirectory;
  offer(skills: readonly string[]): Promise<void>;
  send(records: readonly OutboundRecord[]): Promise<void>;
}

/** What {@link Skills} is built from. */
export interface SkillsOptions {
  readonly membership: SkillsMembership;
  readonly transport: Transport;
  /** Handles a record of a skill's work topic (the task intake's handler). */
  readonly handler: RecordHandler;
  /** Tells the task intake which skills it takes (a skill task for another is declined). */
  readonly offered?: (skills: readonly string[]) => void;
  /** Tasks run at once from each skill's subscription. */
  readonly concurrency: number;
  /** The zones the agent offers its skills in (default public). */
  readonly zones?: readonly string[];
  /** How new skill topics are made (partitions, replication). */
  readonly topics?: TopicSpecOptions;
  readonly now?: () => Date;
}

/** What {@link Skills.offer} changed. */
export interface SkillChange {
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/** An agent's offered skills and their consumers; see the module documentation. */
export class Skills {
  readonly #options: SkillsOptions;
  readonly #consumers = new Map<string, Subscription>();
  readonly #since = new Map<string, string>();
  #changing: Promise<unknown> = Promise.resolve();
  #withdrawn = false;

  constructor(options: SkillsOptions) {
    this.#options = options;
    options.membership.skills.listen((skill, providers) => this.#check(skill, providers));
  }

  /** The skills offered now, by name. */
  offered(): string[] {
    return [...this.#consumers.keys()].sort();
  }

  /** The subscription of an offered skill (for tests and status). */
  consumer(skill: string): Subscription | undefined {
    return this.#consumers.get(skill);
  }

  /**
   * Offers exactly `skills`: stops the consumers of the others and takes the agent off their
   * records, starts the consumers of new ones and adds it to theirs, then announces the set.
   * Calls run one after another.
   */
  offer(skills: readonly string[]): Promise<SkillChange> {
    const run = this.#changing.then(() => this.#offer(skills));
    this.#changing = run.catch(() => {});
    return run;
  }

  async #offer(wanted: readonly string[]): Promise<SkillChange> {
    const want = [...new Set(wanted)].sort();
    const removed = this.offered().filter((s) => !want.includes(s));
    const added = want.filter((s) => !this.#consumers.has(s));
    for (const skill of removed) {
      const consumer = this.#consumers.get(skill)!;
      this.#consumers.delete(skill);
      this.#since.delete(skill);
      await consumer.close();
    }
    // The new skills' consumer groups join together (each join waits for the broker's join
    // delay); one that failed is thrown once all have settled, those started kept.
    await settleAll(added.map((skill) => this.#start(skill)));
    this.#options.offered?.(this.offered());
    const { membership } = this.#options;
    await membership.offer(this.offered());
    // Records that still list this agent for a skill it no longer offers (an earlier run's).
    const stale = membership.skills.all()
      .filter((s) => s.providers.includes(membership.agentId) && !want.includes(s.skill))
      .map((s) => s.skill);
    await this.#publish([...new Set([...removed, ...added, ...stale])]);
    return { added, removed };
  }

  async #start(skill: string): Promise<void> {
    const { transport, membership } = this.#options;
    const topic = skillRequests(membership.group, skill);
    await ensureSkillTopic(transport, { group: membership.group, skill }, this.#options.topics);
    const consumer = await transport.subscribe({
      kind: "work",
      topics: [topic],
      groupId: skillConsumerGroup(membership.group, skill),
      deadLetterTopic: deadLetterTopicFor(topic),
      handler: this.#options.handler,
      concurrency: this.#options.concurrency,
    });
    this.#consumers.set(skill, consumer);
    this.#since.set(skill, (this.#options.now?.() ?? new Date()).toISOString());
  }

  /** Writes the records of `skills` with this agent's entry as it should be, and without `gone`. */
  async #publish(skills: readonly string[], gone?: string): Promise<void> {
    const { membership } = this.#options;
    const records = skills.map((skill) => {
      const providers = membership.skills.providers(skill);
      return skillRecord(membership.group, membership.agentId, {
        name: skill,
        providers: this.#entryIn(skill, gone ? withoutProvider(providers, gone) : providers),
      }, this.#options.now?.());
    });
    if (records.length > 0) await membership.send(records);
  }

  /**
   * Takes `agentId`, found gone (gone_workers.ts), off the record of every skill that lists it;
   * it writes itself in again when it comes back. Nothing for this agent itself.
   */
  drop(agentId: string): Promise<void> {
    const { membership } = this.#options;
    if (agentId === membership.agentId) return Promise.resolve();
    const run = this.#changing.then(() => {
      const listing = membership.skills.all().filter((s) => s.providers.includes(agentId));
      return this.#publish(listing.map((s) => s.skill), agentId);
    });
    this.#changing = run.catch(() => {});
    return run;
  }

  /** `providers` with this agent's entry right: in when it offers `skill`, out when not. */
  #entryIn(skill: string, providers: readonly SkillProvider[]): SkillProvider[] {
    const { agentId } = this.#options.membership;
    const since = this.#since.get(skill);
    if (since === undefined || this.#withdrawn) return withoutProvider(providers, agentId);
    const zones = this.#options.zones ?? ["public"];
    return withProvider(providers, { agent_id: agentId, zones: [...zones], since });
  }

  /** A skill's record came: write it again when it has this agent's entry wrong. */
  #check(skill: string, providers: readonly SkillProvider[]): void {
    const { agentId } = this.#options.membership;
    const listed = providers.some((p) => p.agent_id === agentId);
    const offering = this.#since.has(skill) && !this.#withdrawn;
    if (listed === offering) return;
    this.#changing = this.#changing.then(() => this.#publish([skill])).catch(() => {});
  }

  /** Pauses every skill's consumer (work already handed over goes on). */
  pause(): void {
    for (const consumer of this.#consumers.values()) consumer.pause();
  }

  /**
   * Closes every skill's consumer, giving the work running `graceMs` (default 0) to end first
   * (transport `Subscription.close`); the skills stay offered on the records.
   */
  async close(graceMs = 0): Promise<void> {
    await this.#changing;
    const consumers = [...this.#consumers.values()];
    await Promise.allSettled(consumers.map((c) => c.close(graceMs)));
  }

  /** Takes this agent off the record of every skill it offers (it leaves the group). */
  async withdraw(): Promise<void> {
    await this.#changing;
    this.#withdrawn = true;
    await this.#publish(this.offered());
  }
}

/**
 * Makes the work topic of `skill` when it does not exist yet (the first provider, or a requester
 * sending the first task of a skill nobody offered yet, makes it).
 */
export function ensureSkillTopic(
  transport: Transport,
  place: { readonly group: string; readonly skill: string },
  options: TopicSpecOptions = {},
): Promise<void> {
  return ensureTopic(transport, topicSpec(skillRequests(place.group, place.skill), options));
}

/** Makes a topic that may not exist yet; another agent making it at the same time is fine. */
async function ensureTopic(
  transport: Transport,
  spec: ReturnType<typeof topicSpec>,
): Promise<void> {
  try {
    await transport.createTopics([spec]);
  } catch (error) {
    const problems = await transport.verifyTopics([spec]);
    if (problems.length > 0) throw error;
  }
}
