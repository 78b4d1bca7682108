/**
 * `kafclaw task` as a user runs it beside a running gateway of the same KAFCLAW_HOME: three
 * gateways share an in-process broker, and the CLI runs in ann's home. `submit` hands the task to
 * ann's gateway, which sends and follows it; `list` and `show` read ann's store; `show --trace`
 * prints the tree of spans from all three agents; `replay` runs the request again as ann's turn.
 */
import assert from "node:assert/strict";
import { threeGateways } from "../../_support/gateway_memory.ts";
import { kafclawInProcess } from "../../_support/cli_in_process.ts";
import { waitFor } from "../../_support/wait.ts";
import { spanTree, type SpanTreeNode, traceOfTask } from "../../../core/group/mod.ts";
import { Timeline } from "../../../core/timeline/mod.ts";

/** Ben's LLM: a delegate_task call to cy first, then its answer after reading cy's. */
const BEN_DELEGATES = [
  {
    toolCalls: [{
      name: "delegate_task",
      arguments: { task: "What is the capital of Peru?", agent: "cy", wait_seconds: 30 },
    }],
  },
  { text: "cy says Lima" },
];

interface TraceNode {
  agent_id: string;
  title: string;
  span_type: string;
  children: TraceNode[];
}

function lines(nodes: TraceNode[], depth = 0): string[] {
  return nodes.flatMap((n) => [
    `${"  ".repeat(depth)}${n.agent_id}: ${n.title}`,
    ...lines(n.children, depth + 1),
  ]);
}

Deno.test("task submit --wait, list, show and show --trace against a running group", async () => {
  const { a, b, c } = await threeGateways("clitask", {
    ben: { chat: BEN_DELEGATES, runtime: { askOwner: () => Promise.resolve(true) } },
  });
  await using _a = a;
  await using _b = b;
  await using _c = c;
  const run = (...args: string[]) => kafclawInProcess(a.env, ...args);
  const submitted = await run(
    "task",
    "submit",
    "Ask cy for Peru's capital",
    "--to",
    "ben",
    "--wait",
    "--json",
  );
  assert.equal(submitted.code, 0, submitted.stderr);
  const task = JSON.parse(submitted.stdout);
  assert.equal(task.status, "completed");
  assert.equal(task.answer, "cy says Lima");
  assert.deepEqual(task.workers, ["ben"]);

  const listed = await run("task", "list");
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(
    listed.stdout,
    new RegExp(`^${task.task_id}  completed to agent ben by ben, attempt 1  Ask cy`),
  );

  // The roster ann's gateway holds, in columns under their names.
  const members = await run("group", "members");
  assert.equal(members.code, 0, members.stderr);
  const [title, header, ...rows] = members.stdout.split("\n");
  assert.equal(title, 'group "clitask": 3 member(s), from the running agent');
  assert.match(header!, /^AGENT {2}STATUS {2}LOAD {2}SKILLS {2}LAST SEEN$/);
  assert.deepEqual(rows.map((row) => row.split(/ +/)[0]).sort(), ["ann", "ben", "cy"]);
  for (const row of rows) {
    assert.match(row, /^[a-z]+ +active {2}\d+\/\d+ +\S+ +\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    assert.equal(row.indexOf("active"), header!.indexOf("STATUS"), members.stdout);
    assert.equal(row.search(/\d{4}-/), header!.indexOf("LAST SEEN"), members.stdout);
  }

  const shown = await run("task", "show", task.task_id);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^task .*: completed\nto agent ben, attempt 1, workers ben\n/);
  assert.match(shown.stdout, /\nanswer: cy says Lima$/);

  // The gateway stores the spans it reads: once every agent's are in and ended, the tree is whole
  // and `show --trace` reads it from the store. Before, it reads the traces topic too, which this
  // test's gateways do not dial (their broker is in-process): so it waits for that first.
  const store = a.gateway.runtime.timeline.groupTraces;
  await waitFor(() => {
    const traceId = traceOfTask(task.task_id, store.ofTask(task.task_id));
    if (traceId === undefined) return false;
    const spans = store.trace(traceId);
    const tree = spanTree(traceId, spans);
    const ended = (nodes: SpanTreeNode[]): boolean =>
      nodes.every((n) => n.span.endedAt !== undefined && ended(n.children));
    return tree.agents.length === 3 && tree.roots.length === 1 && ended(tree.roots) &&
      spans.some((s) => s.agentId === "cy" && s.title === "turn");
  }, "ann's store to hold the spans of all three agents, ended");
  const out = await run("task", "show", task.task_id, "--trace", "--json");
  assert.equal(out.code, 0, out.stderr);
  const trace: { source: string; agents: string[]; spans: number; roots: TraceNode[] } = JSON
    .parse(out.stdout);
  assert.equal(trace.source, "agent");
  assert.deepEqual([...trace.agents].sort(), ["ann", "ben", "cy"]);
  assert.equal(trace.roots.length, 1, lines(trace.roots).join("\n"));
  const tree = lines(trace.roots);
  for (
    const line of [
      "ann: submit to group.clitask.agent.ben.inbox",
      "  ben: attempt 1 at ben",
      "      ben: tool delegate_task",
      "    ben: submit to group.clitask.agent.cy.inbox",
      "      cy: attempt 1 at cy",
      "        cy: turn",
    ]
  ) assert.ok(tree.includes(line), `no "${line}" in\n${tree.join("\n")}`);

  const text = await run("task", "show", task.task_id, "--trace");
  assert.match(
    text.stdout,
    /^trace [0-9a-f]{32}: \d+ spans from ann, ben, cy\n {2}ann DELEGATION submit to /,
  );
  assert.match(text.stdout, /\n {8}cy TASK attempt 1 at cy \(\d+ ms\) \[completed\]\n/);
});

Deno.test("task replay runs the request again as this agent's turn, the new answer beside the old", async () => {
  const { a, b, c } = await threeGateways("clireplay");
  await using _a = a;
  await using _b = b;
  await using _c = c;
  const run = (...args: string[]) => kafclawInProcess(a.env, ...args);
  const submitted = await run("task", "submit", "What is 2+2?", "--to", "cy", "--wait", "--json");
  assert.equal(submitted.code, 0, submitted.stderr);
  assert.equal(submitted.stderr, "", "cy is live: nothing to note");
  const { task_id } = JSON.parse(submitted.stdout);
  // An agent the running agent's roster does not hold: the task is queued all the same, and the
  // user told why no answer may come soon.
  const ghost = await run("task", "submit", "Anyone?", "--to", "ghost");
  assert.equal(ghost.code, 0, ghost.stderr);
  assert.match(ghost.stdout, /^[0-9a-f-]{36}$/);
  assert.match(
    ghost.stderr,
    /^kafclaw: "ghost" is not in the group now \(it left, or never joined\): no answer may come until it is back, or before the task's deadline \d{4}-/,
  );
  const skilled = await run("task", "submit", "Anyone?", "--skill", "nope");
  assert.equal(skilled.code, 0, skilled.stderr);
  assert.match(
    skilled.stderr,
    /^kafclaw: no live agent offers skill "nope" now: no answer may come until one is, or before the task's deadline \d{4}-/,
  );
  const replayed = await run("task", "replay", task_id, "--json");
  assert.equal(replayed.code, 0, replayed.stderr);
  const out = JSON.parse(replayed.stdout);
  assert.deepEqual(out.old, { agent_id: "cy", status: "completed", answer: "answered by cy" });
  assert.deepEqual(out.new, { agent_id: "ann", status: "completed", answer: "answered by ann" });
  // Ann's LLM saw the task's request, once, in the replay.
  const asked = a.llm.chatRequests().map((r) => JSON.stringify(r.body));
  assert.equal(asked.filter((body) => body.includes("What is 2+2?")).length, 1);
  const text = await run("task", "replay", task_id);
  assert.match(
    text.stdout,
    /\nold answer \(cy, completed\): answered by cy\nnew answer \(completed\): answered by ann$/,
  );
});

Deno.test("task refuses what it cannot do with one clear line", async () => {
  const home = await Deno.makeTempDir({ prefix: "kafclaw-task-" });
  try {
    const env = {
      KAFCLAW_HOME: home,
      KAFCLAW_GROUP_ENABLED: "true",
      KAFCLAW_GROUP_NAME: "none",
      KAFCLAW_GROUP_KAFKA_BROKERS: "127.0.0.1:9",
      KAFCLAW_GROUP_AGENT_ID: "ann",
    };
    const both = await kafclawInProcess(env, "task", "submit", "x", "--skill", "s", "--to", "ben");
    assert.equal(both.code, 2);
    assert.equal(both.stderr, "kafclaw: task submit takes --skill or --to, not both");
    const idle = await kafclawInProcess(env, "task", "submit", "x");
    assert.equal(idle.code, 1);
    assert.equal(
      idle.stderr,
      "kafclaw: no gateway runs in this KAFCLAW_HOME to follow the task: add --wait to follow " +
        "it from here, or start `kafclaw gateway` first",
    );
    const unknown = await kafclawInProcess(env, "task", "show", "nope");
    assert.equal(unknown.code, 2);
    assert.equal(
      unknown.stderr,
      'kafclaw: no task "nope" was sent from this agent or worked on here (kafclaw task list shows them)',
    );
    const badDeadline = await kafclawInProcess(env, "task", "submit", "x", "--deadline", "soon");
    assert.equal(badDeadline.code, 2);
    assert.match(
      badDeadline.stderr,
      /--deadline <duration>' argument 'soon' is invalid\. expected a whole number above 0 and ms, s, m, h or d/,
    );
    for (const args of [["task", "submit", "x"], ["orchestrator", "dispatch", "x"]]) {
      const badZone = await kafclawInProcess(env, ...args, "--zone", "Lab.Bad", "--wait");
      assert.deepEqual([badZone.code, badZone.stderr], [
        2,
        'kafclaw: --zone "Lab.Bad" is not a zone id (a-z, 0-9, _ and -, starting with a letter ' +
        "or digit, at most 64)",
      ], args.join(" "));
    }
    const none = await kafclawInProcess(env, "task", "list");
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, "no tasks sent from this agent yet (kafclaw task submit sends one)");
    // A member runs here (its heartbeats mark the store) but no gateway follows the task queue:
    // `group join`. A task queued for it would never be sent; none is queued.
    {
      using timeline = Timeline.open(`${home}/timeline.db`);
      timeline.settings.set("group.alive_at", new Date().toISOString());
    }
    const beside = await kafclawInProcess(env, "task", "submit", "x", "--to", "ben", "--wait");
    assert.deepEqual([beside.code, beside.stderr], [
      1,
      'kafclaw: this home\'s agent "ann" runs as a member that sends no tasks (`kafclaw group ' +
      "join`, or a `task submit --wait` still waiting): stop it and run `kafclaw gateway` here, " +
      "or submit with --wait once it has stopped",
    ]);
    assert.equal((await kafclawInProcess(env, "task", "list")).stdout, none.stdout);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
