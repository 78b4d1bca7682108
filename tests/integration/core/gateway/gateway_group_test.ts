/**
 * `kafclaw gateway` processes on the real broker, each with its own KAFCLAW_HOME and its own fake
 * LLM, configured by the environment alone: they form a group, a task submitted from outside is
 * answered by exactly one of them, and SIGTERM makes one leave within the bound (the roster of the
 * others shows it gone at once).
 */
import assert from "node:assert/strict";
import { type Envelope, parseRecord, topicsFor } from "../../../../core/protocol/mod.ts";
import { KafkaTransport } from "../../../../core/transport/mod.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { Child } from "../../../_support/child.ts";
import { kafclaw, kafclawCommand, tempHome } from "../../../_support/cli.ts";
import { requestRecord } from "../../../_support/group_worker.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

/** The environment of agent `id` of `group`: nothing but variables. */
function envOf(group: string, id: string, home: string, llm: FakeOpenAI, more = {}) {
  return {
    KAFCLAW_HOME: home,
    KAFCLAW_GROUP_ENABLED: "true",
    KAFCLAW_GROUP_NAME: group,
    KAFCLAW_GROUP_KAFKA_BROKERS: brokers.join(","),
    KAFCLAW_GROUP_AGENT_ID: id,
    KAFCLAW_GROUP_PARTITIONS: "3",
    KAFCLAW_GROUP_HEARTBEAT_INTERVAL_MS: "1000",
    KAFCLAW_MODEL: "openai/gpt-test",
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "sk-test",
    KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
    NO_COLOR: "1",
    ...more,
  };
}

/** One gateway process with its home and fake LLM; disposing kills it and removes both. */
async function gateway(group: string, id: string, more: Record<string, string> = {}) {
  const home = await tempHome();
  const llm = await startFakeOpenAI({ fallback: { text: `answered by ${id}` } });
  const env = envOf(group, id, home.path, llm, more);
  return {
    id,
    env,
    llm,
    home: home.path,
    child: undefined as Child | undefined,
    start() {
      this.child = new Child(kafclawCommand(["gateway", "--json"], env));
      return this.child.until(/"event":"started"/);
    },
    async [Symbol.asyncDispose]() {
      await this.child?.[Symbol.asyncDispose]();
      await llm.close();
      await home[Symbol.asyncDispose]();
    },
  };
}

/** The roster as `kafclaw group members --json` prints it from a home. */
async function rosterOf(env: Record<string, string>): Promise<string[]> {
  const out = await kafclaw(["group", "members", "--json"], env);
  assert.equal(out.code, 0, out.stderr);
  const parsed = JSON.parse(out.stdout) as { members: { agent_id: string; status: string }[] };
  return parsed.members.map((m) => `${m.agent_id}:${m.status}`);
}

Deno.test(
  "gateway processes form a group by env alone; a task is answered by exactly one, and SIGTERM leaves within the bound",
  opts,
  async () => {
    const group = uniqueName("gw").replaceAll("-", "");
    await using ann = await gateway(group, "ann", { KAFCLAW_GROUP_SECURITY: "open" });
    await using ben = await gateway(group, "ben", { KAFCLAW_GROUP_SECURITY: "open" });
    await using cy = await gateway(group, "cy", { KAFCLAW_GROUP_SECURITY: "open" });
    const made = await kafclaw(["group", "init", "--json"], ann.env);
    assert.equal(made.code, 0, made.stderr);
    await ann.start();
    await ben.start();
    await cy.start();
    assert.match(ben.child!.stderr, /WARNING: group .* runs in open mode/);
    await waitFor(
      async () => (await rosterOf(ann.env)).join() === "ann:active,ben:active,cy:active",
      "ann's gateway to see ben and cy",
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    // A task from outside the group, as a foreign agent writes it (arbiter "none").
    const topics = topicsFor(group);
    const transport = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    const seen: Envelope[] = [];
    try {
      const reader = await transport.subscribe({
        kind: "stream",
        topics: [topics.responses, topics.tasksStatus],
        groupId: uniqueName("reader"),
        fromBeginning: true,
        handler: (record) => {
          const parsed = parseRecord(record);
          if (parsed.ok) seen.push(parsed.envelope);
        },
      });
      await transport.produce([
        requestRecord(topics.requests, { id: "task-one", content: "Say hello", from: "sh-agent" }),
      ]);
      const responses = () => seen.filter((e) => e.type === "response");
      await waitFor(() => responses().length > 0, "the response", { timeoutMs: 60_000 });
      const [response] = responses();
      assert.equal(response!.correlation_id, "task-one");
      const responder = response!.sender_id;
      assert.ok(["ann", "ben", "cy"].includes(responder), responder);
      assert.deepEqual(response!.payload, {
        ...response!.payload,
        status: "completed",
        content: `answered by ${responder}`,
      });
      // Exactly one worker claimed it and answered; the other LLMs never saw it.
      const asked = [ann, ben, cy].filter((g) =>
        g.llm.chatRequests().some((r) => JSON.stringify(r.body).includes("Say hello"))
      );
      assert.deepEqual(asked.map((g) => g.id), [responder]);
      const claims = seen.filter((e) => e.type === "task_status" && e.payload.status === "claimed");
      assert.deepEqual(claims.map((e) => e.sender_id), [responder]);
      // Later reads bring no second answer.
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal(responses().length, 1);
      await reader.close();
    } finally {
      await transport.close();
    }
    // SIGTERM: ben leaves within the bound, exits 0, and the others' roster shows him gone.
    const started = Date.now();
    assert.equal(await ben.child!.stop("SIGTERM"), 0, ben.child!.stderr);
    const took = Date.now() - started;
    assert.ok(took < 12_000, `ben took ${took} ms to stop`);
    const stopped = JSON.parse(ben.child!.stdout.trim().split("\n").at(-1)!);
    assert.deepEqual([stopped.event, stopped.signal, stopped.late], ["stopped", "SIGTERM", []]);
    await waitFor(
      async () => (await rosterOf(cy.env)).join() === "ann:active,cy:active",
      "ben gone from cy's roster",
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    assert.equal(await ann.child!.stop("SIGINT"), 0, ann.child!.stderr);
    assert.equal(await cy.child!.stop("SIGTERM"), 0, cy.child!.stderr);
  },
);
