import assert from "node:assert/strict";
import { agentProfile, UnknownAgentError } from "../../../../core/agent/profile.ts";

const config = (list: unknown[]) =>
  ({
    agents: { list },
    agent: { name: "KafClaw" },
    model: { name: "openai/global", fallbacks: ["groq/spare"] },
  }) as unknown as Parameters<typeof agentProfile>[0];

Deno.test("with no agents.list the top-level model runs", () => {
  assert.deepEqual(agentProfile(config([])), {
    id: undefined,
    name: "KafClaw",
    model: "openai/global",
    fallbacks: ["groq/spare"],
  });
});

Deno.test("the default agent runs unless another is named; its own fallbacks replace the global ones", () => {
  const list = [
    { id: "a", model: { primary: "openai/a" } },
    { id: "b", name: "Bee", default: true, model: { primary: "openai/b", fallbacks: [] } },
    { id: "c" },
  ];
  assert.deepEqual(agentProfile(config(list)), {
    id: "b",
    name: "Bee",
    model: "openai/b",
    fallbacks: [],
  });
  assert.deepEqual(agentProfile(config(list), "a"), {
    id: "a",
    name: "KafClaw",
    model: "openai/a",
    fallbacks: ["groq/spare"],
  });
  assert.equal(agentProfile(config(list), "c").model, "openai/global");
});

Deno.test("an unknown agent id is an error naming the known ones", () => {
  assert.throws(
    () => agentProfile(config([{ id: "a" }]), "z"),
    (e: Error) =>
      e instanceof UnknownAgentError && e.message === 'No agent "z" in agents.list (known: a)',
  );
  assert.throws(() => agentProfile(config([]), "z"), /the list is empty/);
});
