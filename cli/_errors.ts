/**
 * The CLI's error sentinels. Subcommands throw these; main.ts alone turns them into exit codes, so
 * `Deno.exit` lives in one place.
 *
 * @module
 */

/** The user asked for something the CLI cannot do as asked: exit 2 with a one-line reason. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Something failed while doing what was asked (a file, the network, a broker): exit 1. */
export class CliError extends Error {
  override name = "CliError";
}

/**
 * What a subcommand throws when `error` stopped it: Kafka that could not be reached, or a topic
 * it does not have, as it is (cli/mod.ts words them in one line, cli/_kafka_line.ts and
 * {@link missingTopicLine}), any other error as a {@link CliError} of
 * `message` (by default the error's own, with the Kafka refusals it holds: {@link kafkaErrorText}).
 */
export function failure(error: unknown, message?: string): Error {
  if (error instanceof Error && PASSED_ON.has(error.name)) return error;
  // The cause keeps the error's own stack for --debug.
  return new CliError(message ?? kafkaErrorText(error), { cause: error });
}

/** What cli/mod.ts words itself, with the name kafclaw was run by: passed on as they are. */
const PASSED_ON = new Set(["KafkaUnreachableError", "TopicMissingError"]);

/**
 * A group's topic that Kafka does not have (core/transport's TopicMissingError), with where to
 * look: most often the group was not made on these brokers, or group.name is not its name.
 * Undefined for a topic that is not a group's.
 */
export function missingTopicLine(topic: string, message: string, command: string) {
  const group = /^group\.([a-z0-9-]+)\./.exec(topic)?.[1];
  if (group === undefined) return undefined;
  return `${message}: is group "${group}" made on these brokers, and is group.name right? ` +
    `${command} group status lists what is missing`;
}

/**
 * An error's message, with the Kafka error types kafkajs keeps inside it (in `errors` and in
 * `cause`, where a client that gave up after retrying keeps the last) and the topic each names
 * ("Topic creation errors" says nothing of TOPIC_AUTHORIZATION_FAILED on its own).
 */
export function kafkaErrorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const reasons = inside(error).flatMap((e) => {
    const { type, topic } = (e ?? {}) as { type?: unknown; topic?: unknown };
    if (typeof type !== "string") return [];
    return [typeof topic === "string" ? `${type} on ${topic}` : type];
  });
  const unique = [...new Set(reasons)];
  return unique.length === 0 ? message : `${message} (${unique.join(", ")})`;
}

/** `error` and the errors it holds, through `errors` and `cause`, at most a few levels deep. */
function inside(error: unknown, depth = 0): unknown[] {
  if (typeof error !== "object" || error === null || depth > 4) return [error];
  const { errors, cause } = error as { errors?: unknown; cause?: unknown };
  const held = [...(Array.isArray(errors) ? errors : []), ...(cause === undefined ? [] : [cause])];
  return [error, ...held.flatMap((e) => inside(e, depth + 1))];
}

/** Ctrl-C (SIGINT) cancelled what the command did, after it cleaned up: exit 130 (128 + 2). */
export class Cancelled extends Error {
  override name = "Cancelled";
  constructor(message = "cancelled") {
    super(message);
  }
}

/** SIGTERM stopped the command, after it cleaned up: exit 143 (128 + 15), as a shell reports it. */
export class Terminated extends Error {
  override name = "Terminated";
  constructor(message = "stopped (SIGTERM)") {
    super(message);
  }
}

/** A subcommand that this build does not have yet: exit 2, with no pretend output. */
export function notBuiltYet(command: string, arrives: string): never {
  throw new UsageError(
    `\`kafclaw ${command}\` is not available in this build yet (${arrives}); see README.md for what works today`,
  );
}
