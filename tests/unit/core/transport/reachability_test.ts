/**
 * A long-lived client tells of Kafka once when it is lost and once when it is back: no line for a
 * start that fails (its error says it), none for each further failure while Kafka is away.
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
  reach.lost(refused);
  reach.lost(refused);
  reach.lost(new KafkaUnreachableError({ brokers, failure: "timeout" }));
  assert.deepEqual(changes, [{ reachable: false, error: refused }]);
  reach.reached();
  reach.reached();
  assert.deepEqual(changes.slice(1), [{ reachable: true, brokers }]);
  reach.lost(refused);
  assert.equal(changes.length, 3, "a second loss is told again");
});

Deno.test("a client that never reached Kafka tells nothing: its start fails with the error", () => {
  const { changes, reach } = watched();
  reach.lost(refused);
  reach.lost(refused);
  reach.reached();
  assert.deepEqual(changes, [], "reached at last after a slow start is no news either");
  reach.lost(refused);
  assert.deepEqual(changes, [{ reachable: false, error: refused }]);
});
