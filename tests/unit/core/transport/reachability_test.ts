/**
 * A long-lived client tells of Kafka once when it is lost and once when it is back: no line for a
 * start that fails (its error says it), none for each further failure while Kafka is away, and
 * none, once Kafka is back, for a failure of work begun while it was away.
 */
import assert from "node:assert/strict";
import { KafkaUnreachableError, type ReachabilityChange } from "../../../../core/transport/mod.ts";
import { Reachability } from "../../../../core/transport/reachability.ts";

const brokers = ["127.0.0.1:9092"];
const refused = new KafkaUnreachableError({ brokers, failure: "refused" });

function watched() {
  const changes: ReachabilityChange[] = [];
  return { changes, reach: new Reachability(brokers, (c) => changes.push(c)) };
}

Deno.test("Kafka lost and back is told once each, however many failures and answers between", () => {
  const { changes, reach } = watched();
  reach.reached();
  reach.reached();
  assert.deepEqual(changes, [], "answers while Kafka is up are no news");
  reach.lost(refused, performance.now());
  reach.lost(refused, performance.now());
  reach.lost(new KafkaUnreachableError({ brokers, failure: "timeout" }), performance.now());
  assert.deepEqual(changes, [{ reachable: false, error: refused }]);
  reach.reached();
  reach.reached();
  assert.deepEqual(changes.slice(1), [{ reachable: true, brokers }]);
  reach.lost(refused, performance.now());
  assert.equal(changes.length, 3, "a second loss is told again");
});

Deno.test("a client that never reached Kafka tells nothing: its start fails with the error", () => {
  const { changes, reach } = watched();
  reach.lost(refused, performance.now());
  reach.lost(refused, performance.now());
  reach.reached();
  assert.deepEqual(changes, [], "reached at last after a slow start is no news either");
  reach.lost(refused, performance.now());
  assert.deepEqual(changes, [{ reachable: false, error: refused }]);
});

Deno.test("once Kafka is back, a failure of work begun while it was away is no news", () => {
  const { changes, reach } = watched();
  reach.reached();
  const send = performance.now(); // a send begins, Kafka goes away, and the send's retries go on
  reach.lost(refused, performance.now()); // another call's retries run out: Kafka is lost
  assert.deepEqual(changes.map((c) => c.reachable), [false]);
  reach.reached(); // Kafka is back: a call is answered
  assert.deepEqual(changes.map((c) => c.reachable), [false, true]);
  // The send's retries ran out on attempts made while Kafka was away: it is not lost again.
  reach.lost(refused, send);
  assert.deepEqual(changes.map((c) => c.reachable), [false, true]);
  // Work begun (or last fine) after it came back, failing, is news again.
  reach.lost(refused, performance.now());
  assert.deepEqual(changes.map((c) => c.reachable), [false, true, false]);
});

Deno.test("the first loss is told whenever the failing work began", () => {
  const { changes, reach } = watched();
  const long = performance.now(); // work begun long before Kafka answered at all
  reach.reached();
  reach.reached();
  reach.lost(refused, long);
  assert.deepEqual(changes.map((c) => c.reachable), [false]);
});
