/**
 * `kafclaw gateway` processes in one group with the agents of tests/interop, on the real broker,
 * open and signed: Python and Go askers (and, open, a kcat script) are answered by a Deno gateway,
 * and a Deno requester's tasks are answered by Python and Go workers sharing the work queue with
 * the gateways (all under the `roundrobin` assignor), each task once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  agentInbox,
  exportPublicKey,
  keyPairFromSeed,
  topicsFor,
  topicSpec,
} from "../../../../core/protocol/mod.ts";
import { partitionForKey } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { Child } from "../../../_support/child.ts";
import { jsonOf, kafclaw, tempHome } from "../../../_support/cli.ts";
import {
  answerWithin,
  gateway,
  requesterGateway,
  signedGroup,
  taskReader,
} from "../../../_support/gateway_group.ts";
import { taskPayload } from "../../../_support/task_group.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";
import { foreignRuntimes } from "../../interop/_agents.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const { python, goAgent } = await foreignRuntimes();
const PY = [python, new URL("../../../interop/python/agent.py", import.meta.url).pathname];
const GO = [goAgent];
const KCAT = new URL("../../../interop/kcat/submit.sh", import.meta.url).pathname;
const PARTITIONS = { KAFCLAW_GROUP_PARTITIONS: "12" };

/** How a foreign agent signs: its key seed and certificate files, and the owner's key. */
type Signing = { dir: string; ownerKey: string } | undefined;

/**
 * The owner admits foreign agent `id` (`kafclaw group admit` in its home): its seed and
 * certificate go to files in `dir`, as the foreign agents read them.
 */
async function admit(ownerEnv: Record<string, string>, dir: string, id: string) {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const key = await exportPublicKey((await keyPairFromSeed(seed)).publicKey);
  const out = await kafclaw(["group", "admit", id, "--public-key", key, "--json"], ownerEnv);
  assert.equal(out.code, 0, out.stderr);
  await Deno.writeFile(join(dir, `${id}.seed`), seed, { mode: 0o600 });
  const certificate = JSON.stringify(jsonOf(out).certificate);
  await Deno.writeTextFile(join(dir, `${id}.cert.json`), certificate, { mode: 0o600 });
}

/** A foreign agent of `group`: a worker, or with `ask` a requester; signed when `signing` is. */
function foreign(
  argv: readonly string[],
  group: string,
  id: string,
  options: { signing: Signing; ask?: string },
): Child {
  const args = [...argv.slice(1), "--brokers", testBrokers().join(","), "--group", group];
  // Values that may begin with `-` go in one word with their flag, never taken for an option.
  args.push("--id", id, ...(options.ask === undefined ? [] : [`--ask=${options.ask}`]));
  const { signing } = options;
  if (signing !== undefined) {
    args.push("--seed-file", join(signing.dir, `${id}.seed`));
    args.push(
      "--cert-file",
      join(signing.dir, `${id}.cert.json`),
      `--owner-key=${signing.ownerKey}`,
    );
  }
  return new Child(
    new Deno.Command(argv[0]!, { args, stdout: "piped", stderr: "piped", stdin: "null" }),
  );
}

/** The group's two Deno gateways, started; in a signed group the owner's is one of them. */
async function twoGateways(signed: boolean, stack: AsyncDisposableStack) {
  if (!signed) {
    const group = uniqueName("gwf").replaceAll("-", "");
    const env = { KAFCLAW_GROUP_SECURITY: "open", ...PARTITIONS };
    const ann = stack.use(await gateway(group, "ann", env));
    const ben = stack.use(await gateway(group, "ben", env));
    const made = await kafclaw(["group", "init", "--json"], ann.env);
    assert.equal(made.code, 0, made.stderr);
    for (const g of [ann, ben]) await g.start();
    return { group, gateways: [ann, ben], env, ownerEnv: undefined, signing: undefined };
  }
  const { group, boss, pinned } = await signedGroup("gwfs", stack, PARTITIONS);
  const ann = stack.use(await gateway(group, "ann", pinned));
  for (const g of [boss, ann]) await g.start();
  const dir = stack.use(await tempHome()).path;
  for (const id of ["py-worker", "go-worker", "py-asker", "go-asker"]) {
    await admit(boss.env, dir, id);
  }
  const signing = { dir, ownerKey: pinned.KAFCLAW_GROUP_OWNER_PUBLIC_KEY as string };
  return { group, gateways: [boss, ann], env: pinned, ownerEnv: boss.env, signing };
}

for (const signed of [false, true]) {
  Deno.test(
    `Deno gateways and Python and Go agents in one ${
      signed ? "signed" : "open"
    } group: each language's requester is answered by another's worker`,
    opts,
    async () => {
      await using stack = new AsyncDisposableStack();
      const { group, gateways, env, ownerEnv, signing } = await twoGateways(signed, stack);
      const ids = gateways.map((g) => g.id);
      const reader = stack.use(await taskReader(group));
      // The foreign workers do not make their inboxes (a Deno agent makes its own): made here.
      await reader.transport.createTopics(
        ["py-worker", "go-worker"].map((id) => topicSpec(agentInbox(group, id))),
      );

      // A Python asker, a Go asker (and in the open group kcat), answered by a Deno gateway.
      for (const [argv, id] of [[PY, "py-asker"], [GO, "go-asker"]] as const) {
        const ask = `a question from ${id}`;
        const asker = stack.use(foreign(argv, group, id, { signing, ask }));
        assert.equal(await asker.exit(), 0, asker.stderr);
        const answer = jsonOf(asker, { line: "last", what: "the foreign asker" });
        assert.ok(ids.includes(answer.sender_id), asker.stdout);
        assert.equal(answer.payload.content, `answered by ${answer.sender_id}`);
      }
      if (!signed) {
        const kcat = await new Deno.Command(KCAT, {
          args: [testBrokers().join(","), group, "a question from kcat", "60"],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.ok(kcat.success, new TextDecoder().decode(kcat.stderr));
        const byKcat = JSON.parse(new TextDecoder().decode(kcat.stdout));
        assert.equal(byKcat.payload.content, `answered by ${byKcat.sender_id}`);
        assert.ok(ids.includes(byKcat.sender_id), byKcat.sender_id);
      }

      // Python and Go workers join the gateways' work queue; a Deno requester sends a task to
      // every partition of it, with itself as the arbiter (its own share goes to others' inboxes).
      const { gateway: requester } = stack.use(await requesterGateway(group, ownerEnv, env));
      const py = stack.use(foreign(PY, group, "py-worker", { signing }));
      const go = stack.use(foreign(GO, group, "go-worker", { signing }));
      // Both hold partitions: the Python agent prints each assignment, the Go agent each grant.
      await go.until(/"assigned":true/);
      await py.until(/"assigned": \[\d/);
      await waitFor(
        () => requester.membership.live().length === 5,
        "the requester to see both gateways and both foreign workers live",
        { timeoutMs: 30_000, state: () => requester.membership.live().map((w) => w.agentId) },
      );
      const tasks: string[] = [];
      for (let i = 0; tasks.filter(Boolean).length < 12; i++) {
        const id = `mixed-${i}-${crypto.randomUUID()}`;
        tasks[partitionForKey(id, 12)] ??= id;
      }
      for (const id of tasks) {
        await requester.tasks.requester.send({
          type: "request",
          payload: taskPayload("req", { task_id: id, content: `content of ${id}` }),
          taint: "untrusted",
        }, { topic: topicsFor(group).requests });
      }
      const answers = await Promise.all(tasks.map((id) => answerWithin(requester, id, 90_000)));
      for (const [i, answer] of answers.entries()) {
        const by = answer.responderId!;
        assert.equal(answer.status, "completed", JSON.stringify(answer));
        const expected = by === "py-worker"
          ? `python agent py-worker read: content of ${tasks[i]}`
          : by === "go-worker"
          ? `go agent go-worker read: content of ${tasks[i]}`
          : `answered by ${by}`;
        assert.equal(answer.content, expected);
        assert.ok([...ids, "py-worker", "go-worker"].includes(by), by);
      }
      const responders = new Set(answers.map((a) => a.responderId));
      assert.ok(
        responders.has("py-worker") && responders.has("go-worker"),
        String([...responders]),
      );
      await waitFor(
        () => tasks.every((id) => reader.responses().some((e) => e.correlation_id === id)),
        "every response on the wire",
      );
      for (const id of tasks) {
        assert.equal(reader.responses().filter((e) => e.correlation_id === id).length, 1, id);
      }
      assert.equal(await py.stop(), 0, py.stderr);
      assert.equal(await go.stop(), 0, go.stderr);
      for (const g of gateways) assert.equal(await g.child!.stop("SIGTERM"), 0, g.child!.stderr);
    },
  );
}
