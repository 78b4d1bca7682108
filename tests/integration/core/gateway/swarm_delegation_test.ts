/**
 * The delegation scenario of tests/_support/delegation_scenario.ts on the real broker: the two
 * agents of agents.list share one Kafka transport as members of an open group. The same scenario
 * runs over the in-process transport in tests/unit/core/gateway.
 */
import { KafkaTransport } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { delegationScenario } from "../../../_support/delegation_scenario.ts";
import { uniqueName } from "../../../_support/wait.ts";

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "kafka: an agent of agents.list delegates to another through the group, one claim and grant, one tree of spans, each its own timeline",
  opts,
  async () => {
    const transport = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    try {
      await delegationScenario(transport, uniqueName("gswarm").replaceAll("-", ""), {
        KAFCLAW_GROUP_ENABLED: "true",
        KAFCLAW_GROUP_KAFKA_BROKERS: brokers.join(","),
        KAFCLAW_GROUP_SECURITY: "open",
      });
    } finally {
      await transport.close();
    }
  },
);
