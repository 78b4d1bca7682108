/**
 * The one line a user reads when Kafka cannot be reached: the address, the key it came from, what
 * failed, what to check, and the kshark command for it; never a secret or a class name.
 */
import assert from "node:assert/strict";
import { KafkaUnreachableError } from "../../../core/transport/mod.ts";
import { kafkaNews, unreachableLine } from "../../../cli/_kafka_line.ts";

const brokers = ["127.0.0.1:1"];

Deno.test("a refused connection names the address, its key and the kshark command", () => {
  const error = new KafkaUnreachableError({ brokers, address: "127.0.0.1:1", failure: "refused" });
  assert.equal(
    unreachableLine(error, "kafclaw"),
    "Cannot reach Kafka at 127.0.0.1:1 (group.kafkaBrokers, KAFCLAW_GROUP_KAFKA_BROKERS): " +
      "connection refused (is a broker listening on that port?); " +
      "kafclaw kshark --broker 127.0.0.1:1 checks the path layer by layer",
  );
});

Deno.test("each class says what to check; TLS and SASL send kshark to the whole config", () => {
  const expected = {
    unresolved: ["the host name does not resolve (check the host name)", "--broker"],
    timeout: [
      "no answer in time (a firewall, a wrong address or a broker that is down)",
      "--broker",
    ],
    closed: ["the server closed the connection (not a Kafka listener, or one that", "--broker"],
    tls: ["the TLS handshake failed (check group.kafkaSecurityProtocol and group.kafka", "--auto"],
    sasl: ["SASL authentication failed (check group.kafkaSaslUsername, group.kafkaSasl", "--auto"],
  } as const;
  for (const [failure, [words, kshark]] of Object.entries(expected)) {
    const line = unreachableLine(
      new KafkaUnreachableError({
        brokers,
        address: "127.0.0.1:1",
        failure: failure as keyof typeof expected,
      }),
      "scripts/kafclaw",
    );
    assert.ok(line.includes(`: ${words}`), line);
    assert.ok(line.includes(`; scripts/kafclaw kshark ${kshark}`), line);
    assert.doesNotMatch(line, /\n/);
  }
});

Deno.test("an address the cluster advertised is told apart from the configured brokers", () => {
  const error = new KafkaUnreachableError({
    brokers: ["127.0.0.1:9092"],
    address: "kafka-0.internal:9092",
    failure: "unresolved",
  });
  assert.match(
    unreachableLine(error, "kafclaw"),
    /^Cannot reach Kafka at kafka-0\.internal:9092, which the brokers at 127\.0\.0\.1:9092 \(group\.kafkaBrokers, KAFCLAW_GROUP_KAFKA_BROKERS\) advertise: /,
  );
});

Deno.test("a failure of no known class keeps the socket's words and no advice", () => {
  const error = new KafkaUnreachableError({
    brokers: ["a:1", "b:2"],
    failure: "other",
    detail: "connect EHOSTUNREACH 10.9.9.9:9092",
  });
  assert.equal(
    unreachableLine(error, "kafclaw"),
    "Cannot reach Kafka at a:1,b:2 (group.kafkaBrokers, KAFCLAW_GROUP_KAFKA_BROKERS): " +
      "connect EHOSTUNREACH 10.9.9.9:9092; kafclaw kshark --broker a:1,b:2 checks the path layer by layer",
  );
});

Deno.test("a running gateway or member says it lost Kafka in the same line, and when it is back", () => {
  const error = new KafkaUnreachableError({ brokers, address: "127.0.0.1:1", failure: "refused" });
  assert.equal(
    kafkaNews({ reachable: false, error }, "kafclaw"),
    `Lost Kafka, trying again: ${unreachableLine(error, "kafclaw")}`,
  );
  assert.equal(
    kafkaNews({ reachable: true, brokers: ["a:1", "b:2"] }, "kafclaw"),
    "Kafka at a:1,b:2 answers again",
  );
});
