/**
 * The delegation scenario of tests/_support/delegation_scenario.ts on the real broker: the two
 * agents of agents.list share one Kafka transport as members of an open group. The same scenario
 * runs over the in-process transport in tests/unit/core/gateway. Without a transport of its own,
 * a gateway of a Kafka group runs only the agent of group.agentId, and says so.
 */
import assert from "node:assert/strict";
import { createAgentRuntime } from "../../../../core/agent/mod.ts";
import { loadStructuredSchemas, resolveConfig } from "../../../../core/config/mod.ts";
import { Swarm } from "../../../../core/gateway/mod.ts";
import { memberTopicOptions, memberTopicSpecs } from "../../../../core/group/mod.ts";
import { loadKafka } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { delegationScenario } from "../../../_support/delegation_scenario.ts";
import { uniqueName } from "../../../_support/wait.ts";

// agents.list is a structured key: resolveConfig checks it with schemas loaded beforehand.
await loadStructuredSchemas();

const { KafkaTransport } = await loadKafka();

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

Deno.test(
  "kafka: a gateway of a Kafka group runs one agent of agents.list and says where the others run",
  opts,
  async () => {
    const group = uniqueName("gswarmone").replaceAll("-", "");
    const home = await Deno.makeTempDir({ prefix: "kafclaw-swarm-" });
    const setUp = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    const said: string[] = [];
    let swarm: Swarm | undefined;
    try {
      const config = resolveConfig({
        home,
        env: {
          KAFCLAW_HOME: home,
          KAFCLAW_AGENTS_LIST: JSON.stringify([{ id: "ann" }, { id: "bob" }, { id: "cy" }]),
          KAFCLAW_GROUP_ENABLED: "true",
          KAFCLAW_GROUP_NAME: group,
          KAFCLAW_GROUP_KAFKA_BROKERS: brokers.join(","),
          KAFCLAW_GROUP_AGENT_ID: "bob",
          KAFCLAW_GROUP_SECURITY: "open",
          KAFCLAW_GROUP_PARTITIONS: "3",
          KAFCLAW_MODEL: "openai/gpt-test",
          OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
          OPENAI_API_KEY: "sk-test",
          KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
        },
      });
      await setUp.createTopics(memberTopicSpecs(group, memberTopicOptions(config)));
      swarm = await Swarm.start(config, {
        createRuntime: (c) => createAgentRuntime(c, {}),
        say: (line) => said.push(line),
      });
      assert.deepEqual(swarm.gateways.map((g) => [g.agentId, g.kafka]), [["bob", true]]);
      assert.deepEqual(said, [
        "agents.list: a gateway in group mode runs one agent (group.agentId); ann, cy each run " +
        "in a gateway of their own, with their own home (several agents share one process when " +
        "the group is in it, in standalone mode)",
      ]);
    } finally {
      await swarm?.stop();
      await setUp.close();
      await Deno.remove(home, { recursive: true });
    }
  },
);
