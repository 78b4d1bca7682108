/**
 * Skills on the real broker. `kafclaw gateway` processes: `kafclaw group skills add` on a running
 * gateway's home makes it take the skill's tasks without a restart of the process; a skill task is
 * answered by its provider only, and replayed from its work topic in another's home; the skill records, read from the topics by one who is not a
 * member, list the providers, and lose one that leaves. Gateways in the test process, each with
 * its own Kafka client: the scenarios of tests/_support/skill_scenarios.ts (a declined skill task
 * moves to the provider with the best expertise, and why is stored; a newcomer reads the records).
 * In a signed group too: a signed skill task answered by one provider, and a provider killed
 * without a word taken off the record by the others, as a verifying reader sees it.
 */
import assert from "node:assert/strict";
import { readRoster } from "../../../../core/group/mod.ts";
import { importPublicKey, skillRequests } from "../../../../core/protocol/mod.ts";
import { loadKafka, type Transport } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { jsonOf, kafclaw } from "../../../_support/cli.ts";
import {
  answerWithin,
  gateway,
  requesterGateway,
  rosterOf,
  signedGroup,
  taskReader,
  untilLive,
  vouchAndStart,
} from "../../../_support/gateway_group.ts";
import { taskPayload } from "../../../_support/task_group.ts";
import {
  declinedToBestExpertise,
  offeredAtRuntime,
  providerOnly,
  recordsForNewcomers,
  type SkillBroker,
} from "../../../_support/skill_scenarios.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A skill task as a foreign agent writes it (arbiter "none": the first claim is the grant). */
function skillTask(group: string, skill: string, id: string, content: string) {
  const envelope = {
    type: "skill_request",
    correlation_id: id,
    sender_id: "sh-agent",
    timestamp: new Date().toISOString(),
    payload: { task_id: id, description: "", content, requester_id: "sh-agent", skill },
  };
  return { topic: skillRequests(group, skill), key: id, value: JSON.stringify(envelope) };
}

Deno.test(
  "group skills add on a running gateway makes it take the skill's tasks; only a provider answers",
  opts,
  async () => {
    const group = uniqueName("gwsk").replaceAll("-", "");
    const open = { KAFCLAW_GROUP_SECURITY: "open" };
    await using ann = await gateway(group, "ann", open);
    await using ben = await gateway(group, "ben", open);
    await using cy = await gateway(group, "cy", { ...open, KAFCLAW_GROUP_SKILLS: "etl" });
    const made = await kafclaw(["group", "init", "--json"], ann.env);
    assert.equal(made.code, 0, made.stderr);
    await ann.start();
    await ben.start();
    await cy.start();
    await waitFor(
      async () => (await rosterOf(ann.env)).join() === "ann:active,ben:active,cy:active",
      "ann's gateway to see ben and cy",
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    // ben offers sql from now on: config.json changes, the running gateway follows it.
    const added = await kafclaw(["group", "skills", "add", "sql"], ben.env);
    assert.equal(added.code, 0, added.stderr);
    await ben.child!.until(/group\.skills added sql/, "stderr");
    await using reader = await taskReader(group);
    const providers = async (skill: string) =>
      (await readRoster(reader.transport, group)).skills.providers(skill).map((p) => p.agent_id)
        .join();
    assert.equal(await providers("sql"), "ben");
    assert.equal(await providers("etl"), "cy");
    await reader.transport.produce([skillTask(group, "sql", "sql-one", "Count the rows")]);
    const answers = () => reader.seen.filter((e) => e.type === "skill_response");
    await waitFor(() => answers().length > 0, "the response", { timeoutMs: 60_000 });
    const [response] = answers();
    assert.equal(response!.sender_id, "ben");
    assert.equal(response!.payload.status, "completed");
    assert.deepEqual(reader.claims().map((e) => e.sender_id), ["ben"]);
    const asked = [ann, ben, cy].filter((g) =>
      g.llm.chatRequests().some((r) => JSON.stringify(r.body).includes("Count the rows"))
    );
    assert.deepEqual(asked.map((g) => g.id), ["ben"]);
    // Ann's home neither sent nor worked on it: replay finds its request on sql's work topic.
    const replayed = await kafclaw(["task", "replay", "sql-one", "--json"], ann.env);
    assert.equal(replayed.code, 0, replayed.stderr);
    const replay = jsonOf(replayed);
    assert.deepEqual([replay.request, replay.requester, replay.old, replay.new], [
      "Count the rows",
      "sh-agent",
      { agent_id: "ben", status: "completed", answer: "answered by ben" },
      { agent_id: "ann", status: "completed", answer: "answered by ann" },
    ]);
    // Leaving takes ben off the sql record.
    assert.equal(await ben.child!.stop("SIGTERM"), 0, ben.child!.stderr);
    await waitFor(async () => await providers("sql") === "", "ben off the sql record", {
      timeoutMs: 15_000,
      intervalMs: 250,
    });
    assert.equal(await ann.child!.stop("SIGTERM"), 0, ann.child!.stderr);
    assert.equal(await cy.child!.stop("SIGTERM"), 0, cy.child!.stderr);
  },
);

Deno.test(
  "signed: a skill task signed by a member goes to one provider; a provider killed without a word leaves the skill's record",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const { group, boss, pinned } = await signedGroup("gwsks", stack);
    const providerOf = { ...pinned, KAFCLAW_GROUP_SKILLS: "sql" };
    const workers = [
      stack.use(await gateway(group, "ben", providerOf)),
      stack.use(await gateway(group, "cy", providerOf)),
    ];
    await vouchAndStart(boss.env, workers);
    const { gateway: requester } = stack.use(await requesterGateway(group, boss.env, pinned));
    // One who is not a member reads the records as a signed group's member would: verified.
    const reader = stack.use(await taskReader(group));
    const ownerKey = await importPublicKey(pinned.KAFCLAW_GROUP_OWNER_PUBLIC_KEY);
    const providers = async () =>
      (await readRoster(reader.transport, group, { ownerKey })).skills.providers("sql")
        .map((p) => p.agent_id).join();
    await waitFor(async () => await providers() === "ben,cy", "ben and cy on the sql record", {
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    await untilLive(requester, 2, "sql");
    const taskId = crypto.randomUUID();
    await requester.tasks.requester.send({
      type: "skill_request",
      payload: taskPayload("req", { task_id: taskId, content: "Count the rows", skill: "sql" }),
      taint: "trusted",
    }, { topic: skillRequests(group, "sql") });
    const answer = await answerWithin(requester, taskId, 60_000);
    assert.equal(answer.status, "completed");
    const asked = workers.filter((g) =>
      g.llm.chatRequests().some((r) => JSON.stringify(r.body).includes("Count the rows"))
    );
    assert.deepEqual(asked.map((g) => g.id), [answer.responderId]);
    // ben dies: no leave, no withdrawal. The members that see it go stale write the record
    // again without it, signed, and a verifying reader takes it.
    await workers[0]!.child!.stop("SIGKILL");
    await waitFor(async () => await providers() === "cy", "ben off the sql record", {
      timeoutMs: 60_000,
      intervalMs: 1_000,
    });
    assert.equal(await workers[1]!.child!.stop("SIGTERM"), 0, workers[1]!.child!.stderr);
  },
);

/** The real broker, one Kafka client per gateway, all closed at the end. */
function onKafka(): SkillBroker {
  const made: Transport[] = [];
  return {
    transport: () => {
      const transport = new KafkaTransport({ brokers: testBrokers(), clientId: "kafclaw-test" });
      made.push(transport);
      return transport;
    },
    async [Symbol.asyncDispose]() {
      await Promise.allSettled(made.map((t) => t.close()));
    },
  };
}

const group = (prefix: string) => uniqueName(prefix).replaceAll("-", "");

Deno.test(
  "kafka: a skill task through the skill's topic is answered by a provider only",
  opts,
  async () => {
    await using broker = onKafka();
    await providerOnly(broker, group("sk"));
  },
);

Deno.test(
  "kafka: a declined skill task moves to the provider with the best expertise, and why is stored",
  opts,
  async () => {
    await using broker = onKafka();
    await declinedToBestExpertise(broker, group("skx"));
  },
);

Deno.test(
  "kafka: skills offered on a running gateway take tasks at once, and removed ones stop",
  opts,
  async () => {
    await using broker = onKafka();
    await offeredAtRuntime(broker, group("sko"));
  },
);

Deno.test(
  "kafka: providers offering one skill at once all end on its record; a newcomer reads it",
  opts,
  async () => {
    await using broker = onKafka();
    await recordsForNewcomers(broker, group("skr"));
  },
);
