import { loadKafka } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import * as scenario from "../../../_support/transport_scenarios.ts";

const { KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const kafka = (extra: { sessionTimeoutMs?: number; heartbeatIntervalMs?: number } = {}) => ({
  make: () => new KafkaTransport({ brokers, clientId: "kafclaw-test", ...extra }),
});
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "kafka: a produced record comes back with key, value, headers, in key order",
  opts,
  () => scenario.roundTrip(kafka()),
);

Deno.test(
  "kafka: two members of a work group each get a disjoint share",
  opts,
  () => scenario.workQueueShares(kafka()),
);

Deno.test(
  "kafka: two agents' own groups each get every record",
  opts,
  () => scenario.broadcastToAll(kafka()),
);

Deno.test(
  "kafka: a poison record lands in the dead-letter topic and the consumer continues",
  opts,
  () => scenario.poisonIsDeadLettered(kafka()),
);

Deno.test(
  "kafka: a topic with the wrong cleanup policy is refused at start",
  opts,
  () => scenario.wrongCleanupPolicyDetected(kafka()),
);

Deno.test(
  "kafka: writing to or reading a missing topic names it, and creates nothing",
  opts,
  () => scenario.missingTopicNamed(kafka()),
);

Deno.test(
  "kafka: work longer than the session timeout does not get the consumer ejected",
  opts,
  () =>
    scenario.slowWorkKeepsMembership(kafka({ sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 }), {
      workMs: 9000,
    }),
);

Deno.test(
  "kafka: a record whose work has not finished comes again to the next member",
  opts,
  () =>
    scenario.unfinishedWorkComesAgain(kafka({ sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 })),
);

Deno.test(
  "kafka: a second live member of an agent's own stream group is refused",
  opts,
  () => scenario.streamGroupIsExclusive(kafka()),
);

Deno.test(
  "kafka: a paused subscription gets nothing until resumed",
  opts,
  () => scenario.pauseAndResume(kafka()),
);

Deno.test(
  "kafka: a new stream group reads every record produced once subscribe() resolved, none before",
  opts,
  () => scenario.streamStartsAtSubscribe(kafka()),
);
