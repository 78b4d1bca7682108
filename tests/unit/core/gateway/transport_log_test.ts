/**
 * What a gateway says of its Kafka transport: the transport's own errors, one line each, and
 * nothing of kafkajs's chatter or of what the audit and the reachability lines already say.
 */
import assert from "node:assert/strict";
import { transportLog } from "../../../../core/gateway/mod.ts";

Deno.test("the gateway says its transport's own errors, and nothing else of its log", () => {
  const said: string[] = [];
  const log = transportLog((line) => said.push(line));
  log("error", "Cannot dead-letter group.g.requests@0:4: broker down; trying again");
  log("error", "kafkajs [Connection]: Connection error: connect ECONNREFUSED 127.0.0.1:9");
  log("warn", "Dead-lettered group.g.requests@0:5 to group.g.dead-letter: bad");
  log("info", "Left group.g.requests@0:6 uncommitted, to come again: stopping");
  assert.deepEqual(said, ["Cannot dead-letter group.g.requests@0:4: broker down; trying again"]);
  // A gateway told to say nothing says nothing.
  transportLog(undefined)("error", "Work from kafclaw.g.workers failed: boom");
});
