/**
 * An agent's offered skills on the in-process broker: each skill's work topic read through the
 * skill's shared group, the agent on each skill's record (and kept right as others write it),
 * off them when it withdraws or stops offering one, and skill topics made or checked when the
 * agent may not make topics. The same through gateways is in tests/unit/core/gateway.
 */
import assert from "node:assert/strict";
import {
  ensureSkillTopic,
  memberTopicSpecs,
  SkillDirectory,
  type SkillProvider,
  skillRecord,
  Skills,
  type SkillsMembership,
} from "../../../../core/group/mod.ts";
import {
  type EnvelopeOf,
  parseRecord,
  skillConsumerGroup,
  skillRequests,
  topicsFor,
  topicSpec,
} from "../../../../core/protocol/mod.ts";
import {
  type InboundRecord,
  MemoryBroker,
  MemoryTransport,
  type Subscription,
  type Transport,
} from "../../../../core/transport/mod.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const SINCE = new Date("2026-12-04T10:00:00.000Z");

/** A group on one in-process broker whose agents read the skills topic as their membership does. */
async function skillsGroup() {
  const broker = new MemoryBroker();
  const group = uniqueName("sk");
  const transport = new MemoryTransport({ broker });
  await transport.createTopics(memberTopicSpecs(group, { workPartitions: 2 }));
  const subscriptions: Subscription[] = [];
  const skillsOf: Skills[] = [];

  /** A membership over the broker: the skills topic read from the beginning into a directory. */
  async function member(agentId: string): Promise<SkillsMembership & { announced: string[][] }> {
    const skills = new SkillDirectory();
    const state = await transport.subscribe({
      kind: "state",
      topics: [topicsFor(group).skills],
      groupId: uniqueName(agentId),
      handler: (record) => {
        const parsed = parseRecord(record);
        if (parsed.ok) skills.apply(parsed.envelope as EnvelopeOf<"skill">);
      },
    });
    subscriptions.push(state);
    // As a membership does, the records so far are read before the agent's skills start.
    await state.caughtUp();
    const announced: string[][] = [];
    return {
      group,
      agentId,
      skills,
      announced,
      offer: (offered) => (announced.push([...offered]), Promise.resolve()),
      send: (records) => transport.produce(records),
    };
  }

  /** An agent offering skills; `tasks` holds the records its skill consumers took. */
  async function agent(
    agentId: string,
    more: Partial<ConstructorParameters<typeof Skills>[0]> = {},
  ) {
    const membership = await member(agentId);
    const tasks: InboundRecord[] = [];
    const offered: string[][] = [];
    const skills = new Skills({
      membership,
      transport,
      handler: (record) => void tasks.push(record),
      offered: (list) => offered.push([...list]),
      concurrency: 2,
      ...more,
    });
    skillsOf.push(skills);
    return { skills, membership, tasks, offered };
  }

  /** Who the latest record of `skill` lists, as `reader` sees it. */
  const listed = (reader: SkillsMembership, skill: string) =>
    reader.skills.providers(skill).map((p) => p.agent_id);

  return {
    group,
    transport,
    member,
    agent,
    listed,
    /** Writes the record of `skill` as `sender` would. */
    write: (sender: string, skill: string, providers: readonly SkillProvider[]) =>
      transport.produce([skillRecord(group, sender, { name: skill, providers }, SINCE)]),
    async [Symbol.asyncDispose]() {
      await Promise.all(skillsOf.map((s) => s.close()));
      await Promise.all(subscriptions.map((s) => s.close()));
    },
  };
}

Deno.test("offered skills are read through each skill's shared group, and each skill's record lists the agent", async () => {
  await using g = await skillsGroup();
  const ann = await g.agent("ann", { now: () => SINCE, zones: ["public", "ops"] });
  const change = await ann.skills.offer(["sql", "etl", "sql"]);
  assert.deepEqual(change, { added: ["etl", "sql"], removed: [] });
  assert.deepEqual(ann.skills.offered(), ["etl", "sql"]);
  assert.deepEqual(ann.offered, [["etl", "sql"]], "the task intake is told");
  assert.deepEqual(ann.membership.announced, [["etl", "sql"]], "and the membership announces them");
  assert.equal(ann.skills.consumer("sql")?.groupId, skillConsumerGroup(g.group, "sql"));
  await waitFor(() => g.listed(ann.membership, "etl").length === 1, "ann on the etl record");
  assert.deepEqual(ann.membership.skills.providers("sql"), [
    { agent_id: "ann", zones: ["public", "ops"], since: SINCE.toISOString() },
  ]);
  await g.transport.produce([{ topic: skillRequests(g.group, "sql"), key: "t1", value: "{}" }]);
  await waitFor(() => ann.tasks.length === 1, "the sql task at ann's handler");
  assert.equal(ann.tasks[0]!.topic, skillRequests(g.group, "sql"));
});

Deno.test("a skill no longer offered stops its consumer and leaves its record; an earlier run's record is corrected", async () => {
  await using g = await skillsGroup();
  // An earlier run of ann offered "old"; the record still lists it.
  await g.write("ann", "old", [{
    agent_id: "ann",
    zones: ["public"],
    since: "2026-12-01T00:00:00Z",
  }]);
  const ann = await g.agent("ann");
  assert.deepEqual(g.listed(ann.membership, "old"), ["ann"], "read before the skills started");
  await ann.skills.offer(["sql", "etl"]);
  await waitFor(() => g.listed(ann.membership, "old").length === 0, "ann off the old record");
  const change = await ann.skills.offer(["sql"]);
  assert.deepEqual(change, { added: [], removed: ["etl"] });
  assert.equal(ann.skills.consumer("etl"), undefined);
  await waitFor(() => g.listed(ann.membership, "etl").length === 0, "ann off the etl record");
  assert.deepEqual(g.listed(ann.membership, "sql"), ["ann"]);
  // A task on the work topic of a skill no longer offered stays there for another provider.
  await g.transport.produce([{ topic: skillRequests(g.group, "etl"), key: "t1", value: "{}" }]);
  await g.transport.produce([{ topic: skillRequests(g.group, "sql"), key: "t2", value: "{}" }]);
  await waitFor(() => ann.tasks.length === 1, "the sql task");
  assert.deepEqual(ann.tasks.map((t) => t.key), ["t2"]);
});

Deno.test("an agent keeps its own entry right as others write a skill's record", async () => {
  await using g = await skillsGroup();
  const ann = await g.agent("ann");
  const ben = await g.member("ben");
  await ann.skills.offer(["sql"]);
  await waitFor(() => g.listed(ben, "sql").includes("ann"), "ann on the sql record");
  // ben writes the record from a view that missed ann: ann writes itself back in.
  const benEntry = { agent_id: "ben", zones: ["public"], since: SINCE.toISOString() };
  await g.write("ben", "sql", [benEntry]);
  await waitFor(
    () => g.listed(ben, "sql").join() === "ann,ben",
    "ann back on the sql record beside ben",
    { state: () => g.listed(ben, "sql") },
  );
  // A record listing ann for a skill it does not offer: ann writes itself off it.
  const annEntry = { agent_id: "ann", zones: ["public"], since: SINCE.toISOString() };
  await g.write("ben", "etl", [annEntry, benEntry]);
  await waitFor(() => g.listed(ben, "etl").join() === "ben", "ann off the etl record", {
    state: () => g.listed(ben, "etl"),
  });
});

Deno.test("an agent that withdraws is off every skill's record, and stays off", async () => {
  await using g = await skillsGroup();
  const ann = await g.agent("ann");
  const ben = await g.member("ben");
  await ann.skills.offer(["sql", "etl"]);
  await waitFor(() => g.listed(ben, "etl").includes("ann"), "ann listed");
  await ann.skills.withdraw();
  await waitFor(
    () => g.listed(ben, "sql").length === 0 && g.listed(ben, "etl").length === 0,
    "ann off both records",
  );
  await g.write("ben", "sql", [{ agent_id: "ann", zones: ["public"], since: SINCE.toISOString() }]);
  await waitFor(() => g.listed(ben, "sql").length === 0, "ann off the sql record again");
});

Deno.test("an agent that may not make topics offers a skill whose topic exists as it should, and says why when it does not", async () => {
  await using g = await skillsGroup();
  const denied = new Error("Not authorized to create topics");
  const noCreate = new Proxy(g.transport, {
    get(target, name) {
      if (name === "createTopics") return () => Promise.reject(denied);
      const value = Reflect.get(target, name);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as Transport;
  await assert.rejects(
    ensureSkillTopic(noCreate, { group: g.group, skill: "sql" }),
    (error) => error === denied,
  );
  await ensureSkillTopic(g.transport, { group: g.group, skill: "sql" });
  await ensureSkillTopic(noCreate, { group: g.group, skill: "sql" });
  // Made with another configuration (a delete topic made compact): refused, with the error.
  const spec = topicSpec(skillRequests(g.group, "etl"));
  await g.transport.createTopics([{
    ...spec,
    config: { ...spec.config, "cleanup.policy": "compact" },
  }]);
  await assert.rejects(
    ensureSkillTopic(noCreate, { group: g.group, skill: "etl" }),
    (error) => error === denied,
  );
  const ann = await g.agent("ann", { transport: noCreate });
  await ann.skills.offer(["sql"]);
  assert.deepEqual(ann.skills.offered(), ["sql"]);
});

Deno.test("paused, the skills' consumers hand over no task until they resume", async () => {
  await using g = await skillsGroup();
  const ann = await g.agent("ann");
  const ben = await g.agent("ben");
  await ann.skills.offer(["sql"]);
  await ben.skills.offer(["etl"]);
  ann.skills.pause();
  await g.transport.produce([{ topic: skillRequests(g.group, "sql"), key: "t1", value: "{}" }]);
  await g.transport.produce([{ topic: skillRequests(g.group, "etl"), key: "t2", value: "{}" }]);
  await waitFor(() => ben.tasks.length === 1, "ben's etl task, on the same broker");
  assert.equal(ann.tasks.length, 0, "ann's sql task waits");
  ann.skills.consumer("sql")!.resume();
  await waitFor(() => ann.tasks.length === 1, "ann's sql task after resume");
});

Deno.test("a member found gone is taken off every record that lists it, and writes itself back if it was not gone", async () => {
  await using g = await skillsGroup();
  const ann = await g.agent("ann");
  const cy = await g.agent("cy");
  await ann.skills.offer(["sql"]);
  await cy.skills.offer(["sql", "etl"]);
  await waitFor(
    () =>
      g.listed(ann.membership, "sql").join() === "ann,cy" &&
      g.listed(ann.membership, "etl").length === 1,
    "both on the sql record, cy on etl",
  );
  await ann.skills.drop("ann");
  assert.deepEqual(g.listed(ann.membership, "sql"), ["ann", "cy"], "an agent never drops itself");
  await ann.skills.drop("cy");
  await waitFor(
    () => g.listed(ann.membership, "sql").join() === "ann,cy",
    "cy, alive, back on the sql record after ann took it off",
  );
  // dan offered etl and died: nothing of it runs any more but its record entry.
  const reader = await g.member("reader");
  await g.write("dan", "etl", [
    { agent_id: "dan", zones: ["public"], since: SINCE.toISOString() },
    { agent_id: "cy", zones: ["public"], since: SINCE.toISOString() },
  ]);
  await waitFor(() => g.listed(ann.membership, "etl").join() === "cy,dan", "dan on etl");
  await ann.skills.drop("dan");
  await waitFor(() => g.listed(reader, "etl").join() === "cy", "dan, gone, off the etl record");
  assert.deepEqual(g.listed(reader, "sql"), ["ann", "cy"], "sql did not list dan");
});

Deno.test("skills start together: one whose consumer cannot start fails the offer with why, the others kept, and the next offer starts it", async () => {
  await using g = await skillsGroup();
  let refuse = true;
  const refusing = new Proxy(g.transport, {
    get(target, name) {
      if (name === "subscribe") {
        return (options: Parameters<Transport["subscribe"]>[0]) =>
          refuse && options.groupId === skillConsumerGroup(g.group, "etl")
            ? Promise.reject(new Error("the broker refused the etl group"))
            : target.subscribe(options);
      }
      const value = Reflect.get(target, name);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as Transport;
  const ann = await g.agent("ann", { transport: refusing });
  await assert.rejects(ann.skills.offer(["etl", "sql"]), /refused the etl group/);
  assert.deepEqual(ann.skills.offered(), ["sql"], "sql's consumer started beside it is kept");
  assert.deepEqual(ann.membership.announced, [], "nothing announced of a failed offer");
  refuse = false;
  assert.deepEqual(await ann.skills.offer(["etl", "sql"]), { added: ["etl"], removed: [] });
  assert.deepEqual(ann.membership.announced, [["etl", "sql"]]);
});
