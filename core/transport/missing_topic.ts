/**
 * Kafka's answer to a client that names a topic the broker does not have (UNKNOWN_TOPIC_OR_PARTITION,
 * "This server does not host this topic-partition", which names no topic) turned into a
 * {@link TopicMissingError} that names it, as the in-process broker throws it.
 *
 * @module
 */
import { errorChain } from "../errors/mod.ts";
import { TopicMissingError } from "./types.ts";

/** How long a topic Kafka says it lacks is asked for again (it may have just been made). */
const GRACE_MS = 2_000;

const UNKNOWN_TOPIC = "UNKNOWN_TOPIC_OR_PARTITION";

/** Whether `error`, or an error it wraps (kafkajs keeps them in `cause` and `errors`), is Kafka's unknown topic. */
export function isUnknownTopic(error: unknown): boolean {
  return errorChain(error).some((e) => e.type === UNKNOWN_TOPIC);
}

/**
 * What to throw for `error`, met while using `topics`: a {@link TopicMissingError} naming the
 * first of them the broker lacks (asked through `listTopics`) when it is Kafka's unknown topic,
 * else `error` itself.
 */
export async function missingTopicError(
  error: unknown,
  topics: Iterable<string>,
  listTopics: () => Promise<string[]>,
): Promise<unknown> {
  return missingIn(error, topics, await topicsAfter(error, listTopics));
}

/**
 * What to throw for `error`, met while using `topics`, given `existing` (what
 * {@link topicsAfter} found): a {@link TopicMissingError} naming the first of them not there, else
 * `error` itself.
 */
export function missingIn(
  error: unknown,
  topics: Iterable<string>,
  existing: ReadonlySet<string> | undefined,
): unknown {
  if (existing === undefined) return error;
  for (const topic of topics) {
    if (!existing.has(topic)) return new TopicMissingError(topic, { cause: error });
  }
  return error;
}

/**
 * The topics Kafka has (through `listTopics`) when `error` is its unknown topic; undefined for any
 * other error, or when they cannot be listed.
 */
export async function topicsAfter(
  error: unknown,
  listTopics: () => Promise<string[]>,
): Promise<Set<string> | undefined> {
  if (!isUnknownTopic(error)) return undefined;
  try {
    return new Set(await listTopics());
  } catch {
    return undefined;
  }
}

/**
 * Throws {@link TopicMissingError} for the first of `topics` that Kafka says it does not have,
 * asking for each (`describe`: a metadata request that kafkajs does not retry) and again for up to
 * {@link GRACE_MS} (another broker may not know a topic made a moment ago). Any other answer (a
 * topic this principal may not see, under ACLs) is thrown as it comes. Asked first, this spares a
 * client kafkajs's half-minute of retries on a topic that is not there.
 */
export async function requireTopics(
  topics: Iterable<string>,
  describe: (topic: string) => Promise<unknown>,
  graceMs = GRACE_MS,
): Promise<void> {
  for (const topic of topics) {
    const deadline = Date.now() + graceMs;
    while (true) {
      try {
        await describe(topic);
        break;
      } catch (error) {
        if (!isUnknownTopic(error)) throw error;
        if (Date.now() >= deadline) throw new TopicMissingError(topic, { cause: error });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
