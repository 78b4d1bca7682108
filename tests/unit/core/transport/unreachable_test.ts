/**
 * Kafka out of reach, classed from the errors kafkajs really throws: the last attempt's error
 * wrapped by its retries, the socket's code inside it, and the broker it names.
 */
import assert from "node:assert/strict";
import kafkajs from "kafkajs";
import { KafkaUnreachableError, unreachable } from "../../../../core/transport/mod.ts";

// kafkajs exports these at run time; its type declarations leave some of them out.
const errors = kafkajs as unknown as Record<string, new (...args: unknown[]) => Error>;
const brokers = ["k1:9092", "k2:9092"];

/** A connection error as kafkajs's connection makes it from a socket error, after its retries. */
function afterRetries(message: string, facts: { broker?: string; code?: string } = {}): Error {
  const last = new errors.KafkaJSConnectionError!(message, facts);
  return new errors.KafkaJSNumberOfRetriesExceeded!(last, { retryCount: 8, retryTime: 9000 });
}

function mapped(error: unknown): KafkaUnreachableError {
  const out = unreachable(error, brokers);
  assert.ok(out instanceof KafkaUnreachableError, `${(error as Error).message} is not classed`);
  return out;
}

Deno.test("each connection failure kafkajs reports is classed, with the address that failed", () => {
  const cases: [Error, string, string][] = [
    [
      afterRetries("Connection error: connect ECONNREFUSED 10.0.0.1:9092", {
        broker: "k1:9092",
        code: "ECONNREFUSED",
      }),
      "refused",
      "k1:9092",
    ],
    [
      afterRetries("Connection error: getaddrinfo ENOTFOUND k2", {
        broker: "k2:9092",
        code: "ENOTFOUND",
      }),
      "unresolved",
      "k2:9092",
    ],
    [
      afterRetries("Connection error: getaddrinfo EAI_AGAIN k2", {
        broker: "k2:9092",
        code: "EAI_AGAIN",
      }),
      "unresolved",
      "k2:9092",
    ],
    [afterRetries("Connection timeout", { broker: "k1:9092" }), "timeout", "k1:9092"],
    [
      new errors.KafkaJSRequestTimeoutError!("Request ApiVersions(key: 18, version: 2) timed out", {
        broker: "k1:9092",
      }),
      "timeout",
      "k1:9092",
    ],
    [
      new errors.KafkaJSNumberOfRetriesExceeded!(
        new errors.KafkaJSConnectionClosedError!("Closed connection", { host: "k2", port: 9092 }),
        { retryCount: 8, retryTime: 9000 },
      ),
      "closed",
      "k2:9092",
    ],
    [
      afterRetries(
        "Connection error: Client network socket disconnected before secure TLS connection was established",
        { broker: "k1:9092", code: "ECONNRESET" },
      ),
      "tls",
      "k1:9092",
    ],
    [
      afterRetries("Connection error: self-signed certificate in certificate chain", {
        broker: "k1:9092",
        code: "SELF_SIGNED_CERT_IN_CHAIN",
      }),
      "tls",
      "k1:9092",
    ],
    [
      afterRetries("Connection error: read ECONNRESET", { broker: "k1:9092", code: "ECONNRESET" }),
      "closed",
      "k1:9092",
    ],
  ];
  for (const [error, failure, address] of cases) {
    const out = mapped(error);
    assert.equal(out.failure, failure, error.message);
    assert.equal(out.address, address);
    assert.deepEqual(out.brokers, brokers);
    assert.equal(out.cause, error, "the original stays as the cause, for --debug");
    assert.equal(out.message, `Cannot reach Kafka at ${address}: ${out.reason}`);
    assert.doesNotMatch(out.message, /KafkaJS/);
  }
});

Deno.test("a refused SASL login is classed without the broker's words or the secret", () => {
  const sasl = new errors.KafkaJSSASLAuthenticationError!(
    "SASL PLAIN authentication failed: Authentication failed: Invalid username or password",
  );
  // As kafkajs's retrier wraps an error it may not retry.
  const login = new errors.KafkaJSNonRetriableError!(sasl, { cause: sasl });
  const out = mapped(login);
  assert.equal(out.failure, "sasl");
  assert.equal(out.address, "k1:9092,k2:9092", "no broker named: every configured one");
  assert.equal(out.message, "Cannot reach Kafka at k1:9092,k2:9092: SASL authentication failed");
  const byType = new errors.KafkaJSProtocolError!({
    type: "SASL_AUTHENTICATION_FAILED",
    code: 58,
    message: "SASL Authentication failed",
  });
  assert.equal(mapped(byType).failure, "sasl");
});

Deno.test("a connection failure of no known class still names the address, in the socket's words", () => {
  const out = mapped(
    afterRetries("Connection error: connect EHOSTUNREACH 10.9.9.9:9092", {
      broker: "k1:9092",
      code: "EHOSTUNREACH",
    }),
  );
  assert.equal(out.failure, "other");
  assert.equal(out.message, "Cannot reach Kafka at k1:9092: connect EHOSTUNREACH 10.9.9.9:9092");
  const bare = mapped(new errors.KafkaJSConnectionError!("", { broker: "k1:9092" }));
  assert.equal(bare.reason, "the connection failed");
});

Deno.test("errors that are not about reaching Kafka are left as they are", () => {
  const denied = new errors.KafkaJSProtocolError!({
    type: "TOPIC_AUTHORIZATION_FAILED",
    code: 29,
    message: "Not authorized to access topics",
  });
  assert.equal(unreachable(denied, brokers), undefined);
  assert.equal(unreachable(new TypeError("x is undefined"), brokers), undefined);
  assert.equal(unreachable("text", brokers), undefined);
  const looped = new Error("loop") as Error & { cause?: unknown };
  looped.cause = looped;
  assert.equal(unreachable(looped, brokers), undefined, "a cause that loops ends the walk");
  const already = mapped(afterRetries("Connection timeout", { broker: "k1:9092" }));
  assert.equal(unreachable(already, brokers), already, "mapped once, kept as it is");
});
