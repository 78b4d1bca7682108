/**
 * Skill scenarios of gateways in the test process, on any broker: in-process
 * (tests/unit/core/gateway) and the real one (tests/integration/core/gateway). A skill task's first
 * attempt goes through the skill's shared group to a provider only; a declined one moves to the
 * inbox of the provider with the best expertise, and the requester stores why; skills change on a
 * running gateway; each skill's record lists its providers, for a newcomer too.
 */
import assert from "node:assert/strict";
import type { Gateway } from "../../core/gateway/mod.ts";
import { memberTopicSpecs } from "../../core/group/mod.ts";
import { agentInbox, skillRequests } from "../../core/protocol/mod.ts";
import type { Transport } from "../../core/transport/mod.ts";
import { gatewayOf, inProcessEnv } from "./gateway_memory.ts";
import { taskPayload } from "./task_group.ts";
import { waitFor } from "./wait.ts";

/**
 * Where the gateways meet: each gets a transport of its own from `transport()` (the gateway does
 * not close a transport it is given; disposing the broker does).
 */
export interface SkillBroker extends AsyncDisposable {
  transport(): Transport;
}

/** Starts gateways of `group` on `broker`, each offering the skills given; `env` for them all. */
async function skillGroup(
  broker: SkillBroker,
  group: string,
  skills: Record<string, string>,
  env: Record<string, string> = {},
) {
  await broker.transport().createTopics(memberTopicSpecs(group, { workPartitions: 3 }));
  const start = (id: string, offered = "") =>
    gatewayOf(
      {
        ...inProcessEnv(group, id),
        ...env,
        ...(offered ? { KAFCLAW_GROUP_SKILLS: offered } : {}),
      },
      {
        more: { transport: broker.transport(), leaseMs: 600_000 },
        answer: { text: `answered by ${id}` },
      },
    );
  const started = await Promise.all(Object.entries(skills).map(([id, s]) => start(id, s)));
  const gateways = Object.fromEntries(started.map((g) => [g.gateway.agentId, g]));
  return {
    gateways,
    start,
    async [Symbol.asyncDispose]() {
      await Promise.all(started.map((g) => g[Symbol.asyncDispose]()));
    },
  };
}

/** Sends a skill task from `from` to `topic`; its final answer. */
async function askSkill(from: Gateway, skill: string, topic: string, target?: string) {
  const taskId = crypto.randomUUID();
  const payload = taskPayload(from.agentId, {
    task_id: taskId,
    content: `Use ${skill}`,
    skill,
    ...(target ? { target_id: target } : {}),
  });
  await from.tasks.requester.send({ type: "skill_request", payload, taint: "untrusted" }, {
    topic,
  });
  return { taskId, answer: await from.tasks.requester.answer(taskId)! };
}

const providers = (g: Gateway, skill: string) =>
  g.membership.skills.providers(skill).map((p) => p.agent_id).join(",");

/** A skill task through the skill's topic is answered by a provider only. */
export async function providerOnly(broker: SkillBroker, group: string): Promise<void> {
  await using g = await skillGroup(broker, group, { ann: "", ben: "sql", cy: "" });
  const { ann, ben, cy } = g.gateways;
  await waitFor(() => providers(ann!.gateway, "sql") === "ben", "ann to read ben's sql record");
  const { answer } = await askSkill(ann!.gateway, "sql", skillRequests(group, "sql"));
  assert.deepEqual([answer.status, answer.responderId], ["completed", "ben"]);
  assert.equal(cy!.llm.chatRequests().length, 0, "cy offers no sql and never saw the task");
  assert.ok(ben!.gateway.tasks.skills.consumer("sql"), "ben reads sql through its own consumer");
  // The answer counts for ben's expertise in sql, which its heartbeats tell the others. Ben
  // records it once its response is sent, so the answer may reach ann first.
  await waitFor(
    () => ben!.gateway.runtime.memory.expertise("sql")?.successCount === 1,
    "ben to record the answer in its sql expertise",
  );
  const known = ben!.gateway.runtime.memory.expertise("sql")!.score;
  assert.ok(known > 0);
  await waitFor(
    () =>
      ann!.gateway.membership.live("sql").find((m) => m.agentId === "ben")?.expertise.sql ===
        Math.round(known * 1000) / 1000,
    "ann's roster to show ben's sql expertise",
    { timeoutMs: 15_000 },
  );
}

/** A declined skill task moves to the provider with the best expertise, and why is stored. */
export async function declinedToBestExpertise(broker: SkillBroker, group: string): Promise<void> {
  await using g = await skillGroup(broker, group, { ann: "", ben: "", cy: "sql", dan: "sql" });
  const { ann, cy, dan } = g.gateways;
  // Step 3's scores: dan has done sql well five times, cy badly (cy would win a tie, by its id).
  for (const [who, success] of [[dan!, true], [cy!, false]] as const) {
    for (let i = 0; i < 5; i++) {
      who.gateway.runtime.timeline.expertise.record({
        skill: "sql",
        success,
        quality: success ? 0.9 : 0.1,
        durationMs: 10,
      });
    }
    await who.gateway.offerSkills(["sql"]); // unchanged, but heartbeats at once
  }
  const score = (id: string) =>
    ann!.gateway.membership.live("sql").find((m) => m.agentId === id)?.expertise.sql ?? -1;
  await waitFor(() => score("dan") > score("cy") && score("cy") >= 0, "scores in heartbeats");
  // Sent to ben's inbox, who offers no sql: ben declines, and the requester chooses.
  const { taskId, answer } = await askSkill(ann!.gateway, "sql", agentInbox(group, "ben"), "ben");
  assert.deepEqual([answer.status, answer.responderId], ["completed", "dan"]);
  assert.equal(cy!.llm.chatRequests().length, 0);
  const stored = ann!.gateway.runtime.timeline.groupTasks.outgoing(taskId)!;
  assert.equal(stored.routes.length, 1, JSON.stringify(stored.routes));
  const route = stored.routes[0]!;
  assert.equal(route.agent_id, "dan");
  assert.equal(route.attempt, 2);
  assert.equal(route.score, score("dan"));
  assert.equal(route.candidates, 2);
  assert.equal(route.load.capacity, 4);
  assert.match(route.reason, /ben declined attempt 1: ben does not offer the skill sql/);
  assert.match(route.reason, /best expertise in sql/);
}

/** Skills offered on a running gateway take tasks at once, and removed ones stop. */
export async function offeredAtRuntime(broker: SkillBroker, group: string): Promise<void> {
  await using g = await skillGroup(broker, group, { ann: "", ben: "" });
  const { ann, ben } = g.gateways;
  assert.deepEqual(await ben!.gateway.offerSkills(["sql", "etl"]), {
    added: ["etl", "sql"],
    removed: [],
  });
  await waitFor(() => providers(ann!.gateway, "sql") === "ben", "ann to read ben's sql record");
  const { answer } = await askSkill(ann!.gateway, "sql", skillRequests(group, "sql"));
  assert.equal(answer.responderId, "ben");
  assert.deepEqual(await ben!.gateway.offerSkills(["etl"]), { added: [], removed: ["sql"] });
  assert.equal(ben!.gateway.tasks.skills.consumer("sql"), undefined);
  await waitFor(() => providers(ann!.gateway, "sql") === "", "ben off the sql record");
  assert.equal(providers(ann!.gateway, "etl"), "ben");
}

/** Providers offering one skill at once all end on its record; a newcomer reads it. */
export async function recordsForNewcomers(broker: SkillBroker, group: string): Promise<void> {
  await using g = await skillGroup(broker, group, { ann: "", ben: "sql", cy: "sql,etl" });
  const { ann, ben } = g.gateways;
  await waitFor(() => providers(ann!.gateway, "sql") === "ben,cy", "both on the sql record");
  // A newcomer has the records once started: it read the skills topic whole.
  await using dan = await g.start("dan");
  assert.equal(providers(dan.gateway, "sql"), "ben,cy");
  assert.equal(providers(dan.gateway, "etl"), "cy");
  // Leaving takes a gateway off its skills' records.
  await ben!.gateway.stop();
  await waitFor(() => providers(dan.gateway, "sql") === "cy", "ben off the record as it left");
}

/**
 * A provider that dies without a word (its membership stops: no heartbeat, no leave, no
 * withdrawal) is taken off its skill's record by the members that see it go.
 */
export async function diedProviderDropped(broker: SkillBroker, group: string): Promise<void> {
  await using g = await skillGroup(broker, group, { ann: "", ben: "sql", cy: "sql" }, {
    // Stale after 3 silent seconds.
    KAFCLAW_GROUP_HEARTBEAT_INTERVAL_MS: "1000",
  });
  const { ann, ben, cy } = g.gateways;
  await waitFor(() => providers(ann!.gateway, "sql") === "ben,cy", "both on the sql record");
  await ben!.gateway.membership.close();
  await waitFor(
    () => providers(ann!.gateway, "sql") === "cy" && providers(cy!.gateway, "sql") === "cy",
    "ben, dead, off the sql record",
    { timeoutMs: 20_000, state: () => providers(ann!.gateway, "sql") },
  );
  // The one who wrote it may have been cy; ann's own roster comes to the same view.
  await waitFor(
    () => ann!.gateway.membership.live("sql").map((m) => m.agentId).join() === "cy",
    "ann's roster without ben",
  );
}
