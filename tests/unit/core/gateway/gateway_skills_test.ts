/**
 * Skills of gateways sharing one in-process broker as a group (tests/_support/skill_scenarios.ts).
 * The same scenarios run on the real broker in tests/integration/core/gateway, where gateway
 * processes also follow config.json.
 */
import { MemoryBroker, MemoryTransport } from "../../../../core/transport/mod.ts";
import {
  declinedToBestExpertise,
  diedProviderDropped,
  offeredAtRuntime,
  providerOnly,
  recordsForNewcomers,
  type SkillBroker,
} from "../../../_support/skill_scenarios.ts";

function inProcess(): SkillBroker {
  const broker = new MemoryBroker();
  return {
    transport: () => new MemoryTransport({ broker }),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}

Deno.test("a skill task through the skill's topic is answered by a provider only", async () => {
  await using broker = inProcess();
  await providerOnly(broker, "gwskill");
});

Deno.test("a declined skill task moves to the provider with the best expertise, and why is stored", async () => {
  await using broker = inProcess();
  await declinedToBestExpertise(broker, "gwexpert");
});

Deno.test("skills offered on a running gateway take tasks at once, and removed ones stop", async () => {
  await using broker = inProcess();
  await offeredAtRuntime(broker, "gwoffer");
});

Deno.test("providers offering one skill at once all end on its record; a newcomer reads it", async () => {
  await using broker = inProcess();
  await recordsForNewcomers(broker, "gwrecord");
});

Deno.test("a provider that dies without a word is taken off its skill's record by the others", async () => {
  await using broker = inProcess();
  await diedProviderDropped(broker, "gwdied");
});
