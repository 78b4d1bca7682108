/**
 * What a user reads when Kafka refuses: kafkajs' own errors, as the broker's refusal reaches the
 * CLI, turned into one line that names the error type and the topic it is about.
 */
import assert from "node:assert/strict";
import kafkajs from "kafkajs";
import { failure, kafkaErrorText } from "../../../cli/_errors.ts";
import { reportError } from "../../../main.ts";

// kafkajs exports the class at run time; its type declarations leave it out.
const { KafkaJSCreateTopicError } = kafkajs as unknown as {
  KafkaJSCreateTopicError: new (e: object, topic: string) => Error;
};

Deno.test("a refused topic creation names the refusal and the topic, once each", () => {
  const refusal = { type: "TOPIC_AUTHORIZATION_FAILED", code: 29, message: "Not authorized" };
  const error = new kafkajs.KafkaJSAggregateError("Topic creation errors", [
    new KafkaJSCreateTopicError(refusal, "group.g1.skill.sql.requests"),
    new KafkaJSCreateTopicError(refusal, "group.g1.skill.sql.requests"),
    new KafkaJSCreateTopicError(refusal, "group.g1.skill.etl.requests"),
  ]);
  assert.equal(
    kafkaErrorText(error),
    "Topic creation errors (TOPIC_AUTHORIZATION_FAILED on group.g1.skill.sql.requests, " +
      "TOPIC_AUTHORIZATION_FAILED on group.g1.skill.etl.requests)",
  );
});

Deno.test("an error with a type and no topic says the type; one without either is its message", () => {
  const denied = new kafkajs.KafkaJSProtocolError({
    type: "GROUP_AUTHORIZATION_FAILED",
    code: 30,
    message: "Not authorized to access group",
  } as unknown as Error);
  assert.equal(
    kafkaErrorText(denied),
    "Not authorized to access group (GROUP_AUTHORIZATION_FAILED)",
  );
  assert.equal(kafkaErrorText(new Error("Connection refused")), "Connection refused");
  assert.equal(kafkaErrorText("plain text"), "plain text");
});

Deno.test("a command stopped by a refusal says which: failure() words it so by default", () => {
  const refusal = { type: "TOPIC_AUTHORIZATION_FAILED", code: 29, message: "Not authorized" };
  const error = new kafkajs.KafkaJSAggregateError("Topic creation errors", [
    new KafkaJSCreateTopicError(refusal, "group.g1.requests"),
  ]);
  const stopped = failure(error);
  assert.equal(stopped.name, "CliError");
  assert.equal(
    stopped.message,
    "Topic creation errors (TOPIC_AUTHORIZATION_FAILED on group.g1.requests)",
  );
  assert.equal(failure(error, "Cannot make the group").message, "Cannot make the group");
});

Deno.test("--debug on a command stopped by failure() shows the stack of what stopped it", () => {
  const original = new Error("Cannot make the inbox");
  const said: string[] = [];
  assert.equal(reportError(failure(original), true, (line) => said.push(line)), 1);
  assert.deepEqual(said, ["kafclaw: Cannot make the inbox", original.stack]);
  const quiet: string[] = [];
  reportError(failure(original), false, (line) => quiet.push(line));
  assert.deepEqual(quiet, ["kafclaw: Cannot make the inbox"]);
});

Deno.test("a refusal kafkajs gave up on after retrying (kept as the cause) is named too", () => {
  const last = new kafkajs.KafkaJSProtocolError({
    type: "UNKNOWN_TOPIC_OR_PARTITION",
    code: 3,
    message: "This server does not host this topic-partition",
  } as unknown as Error);
  const { KafkaJSNumberOfRetriesExceeded } = kafkajs as unknown as {
    KafkaJSNumberOfRetriesExceeded: new (e: Error, o: object) => Error;
  };
  const gaveUp = new KafkaJSNumberOfRetriesExceeded(last, { retryCount: 5, retryTime: 3000 });
  assert.equal(
    kafkaErrorText(gaveUp),
    "This server does not host this topic-partition (UNKNOWN_TOPIC_OR_PARTITION)",
  );
});
