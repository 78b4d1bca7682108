/**
 * A topic the broker does not have, named: Kafka's UNKNOWN_TOPIC_OR_PARTITION as kafkajs really
 * wraps it (after its retries, or in an aggregate) becomes a TopicMissingError naming the first of
 * the topics that the broker does not list; and a reader is told at once, not after retries.
 */
import assert from "node:assert/strict";
import kafkajs from "kafkajs";
import {
  isUnknownTopic,
  missingTopicError,
  requireTopics,
} from "../../../../core/transport/missing_topic.ts";
import { TopicMissingError } from "../../../../core/transport/mod.ts";

// kafkajs exports these at run time; its type declarations leave some of them out.
const errors = kafkajs as unknown as Record<string, new (...args: unknown[]) => Error>;

const unknownTopic = () =>
  new errors.KafkaJSProtocolError!({
    type: "UNKNOWN_TOPIC_OR_PARTITION",
    code: 3,
    retriable: true,
    message: "This server does not host this topic-partition",
  });

Deno.test("Kafka's unknown topic is recognised however kafkajs wraps it, and nothing else is", () => {
  const afterRetries = new errors.KafkaJSNumberOfRetriesExceeded!(unknownTopic(), {
    retryCount: 5,
    retryTime: 3000,
  });
  const aggregate = new kafkajs.KafkaJSAggregateError("Failed", [new Error("x"), unknownTopic()]);
  for (const error of [unknownTopic(), afterRetries, aggregate]) {
    assert.ok(isUnknownTopic(error), error.message);
  }
  const denied = new errors.KafkaJSProtocolError!({
    type: "TOPIC_AUTHORIZATION_FAILED",
    code: 29,
    message: "Not authorized to access topics",
  });
  for (const error of [denied, new Error("UNKNOWN_TOPIC_OR_PARTITION"), "text", undefined]) {
    assert.equal(isUnknownTopic(error), false, String(error));
  }
});

Deno.test("the error names the first topic the broker does not list, and keeps Kafka's as cause", async () => {
  const cause = new errors.KafkaJSNumberOfRetriesExceeded!(unknownTopic(), {
    retryCount: 5,
    retryTime: 3000,
  });
  const named = await missingTopicError(cause, ["a", "b", "c"], () => Promise.resolve(["a"]));
  assert.ok(named instanceof TopicMissingError);
  assert.equal(named.topic, "b");
  assert.equal(named.message, 'Topic "b" does not exist (automatic creation is off)');
  assert.equal(named.cause, cause);
  // Another error, a broker that lists them all, or one that cannot be asked: Kafka's, unchanged.
  const other = new Error("Connection refused");
  assert.equal(await missingTopicError(other, ["a"], () => Promise.resolve([])), other);
  assert.equal(await missingTopicError(cause, ["a"], () => Promise.resolve(["a"])), cause);
  assert.equal(await missingTopicError(cause, ["a"], () => Promise.reject(new Error("no"))), cause);
});

Deno.test("requireTopics waits a moment for a topic just made, then names the one missing", async () => {
  let asked = 0;
  const describe = (topic: string) => {
    asked++;
    if (topic === "b" && asked < 3) return Promise.reject(unknownTopic());
    if (topic === "c") return Promise.reject(unknownTopic());
    return Promise.resolve();
  };
  await requireTopics(["a", "b"], describe, 5_000);
  assert.equal(asked, 3, "a once, b until it is there");
  await assert.rejects(
    requireTopics(["a", "c"], describe, 300),
    (error: unknown) =>
      error instanceof TopicMissingError && error.topic === "c" && isUnknownTopic(error.cause),
  );
});

Deno.test("requireTopics throws any other answer as it comes: a topic this principal may not see", async () => {
  const denied = new errors.KafkaJSProtocolError!({
    type: "TOPIC_AUTHORIZATION_FAILED",
    code: 29,
    message: "Not authorized to access topics: [Topic authorization failed]",
  });
  let asked = 0;
  await assert.rejects(
    requireTopics(["hidden"], () => (asked++, Promise.reject(denied)), 5_000),
    (error: unknown) => error === denied,
  );
  assert.equal(asked, 1, "not asked again");
});
