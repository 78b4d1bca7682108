/**
 * The delegation scenario of tests/_support/delegation_scenario.ts over the in-process transport
 * in fault mode (duplicates, delays, reordering, redelivery): two agents of agents.list in one
 * gateway. The same scenario runs on the real broker in tests/integration/core/gateway.
 */
import { MemoryTransport } from "../../../../core/transport/mod.ts";
import { delegationScenario } from "../../../_support/delegation_scenario.ts";

const faults = { seed: 7, duplicate: 0.2, maxDelayMs: 10, redeliver: 0.1, reorder: true };

Deno.test("in process: an agent of agents.list delegates to another through the group, one claim and grant, one tree of spans, each its own timeline", async () => {
  const transport = new MemoryTransport({ faults });
  try {
    await delegationScenario(transport, "gswarm");
  } finally {
    await transport.close();
  }
});
