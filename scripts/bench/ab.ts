/**
 * A before/after comparison of the agent's turn, paired: the same measurement made on this tree
 * and on another checkout of KafClaw (the code before a change), alternating one by one, so that
 * a machine busy with other work weighs on both alike. Prints, for each figure, both sides' p50
 * and p90 and the median of the paired ratios (after / before; below 1: this tree is faster).
 *
 *     git archive <commit> | tar -x -C /tmp/before
 *     deno run -P=test scripts/bench/ab.ts /tmp/before [--turns 300] [--trips 150] [--echo] [--spans]
 *       [--signed]
 *
 * - the worker's turn alone, as the delegation bench runs it (a task's turn on a session of its
 *   own, the fake LLM answering at once), and a turn continuing one long session;
 * - with a broker (KAFCLAW_TEST_BROKERS, or the one `scripts/kafka start` runs), the delegation's
 *   pure path (`arbiter: "none"`), each side a requester here and a worker process of its own tree;
 *   with `--echo`, the group protocol alone instead (a worker whose door answers at once, no turn:
 *   the group layer's own milliseconds, which a turn's spread would hide); with `--spans`, both
 *   agents record, store and send their tasks' spans, as gateways (and the delegation bench) do;
 *   with `--signed`, in a signed group, each agent signing what it sends and verifying what it
 *   receives (both trees need the delegation bench's `signed` pairs).
 *
 * On a machine shared with other work, two runs of the same code differ a lot (the same tree on
 * both sides, three runs under a load average of 17-23: p50s up to 30% apart, either way; medians
 * of the paired ratios 0.92 to 1.04): run it several times. So that the order in which the two
 * are started cannot favour one, each side is started twice, in the order before,
 * after, after, before, and its runs alternate between its two.
 */
import { parseArgs } from "node:util";
import { brokersForBench } from "./_kafka_pairs.ts";

type Side = { readonly name: string; readonly run: (i: number) => Promise<void> };

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: {
    turns: { type: "string", default: "300" },
    trips: { type: "string", default: "150" },
    echo: { type: "boolean", default: false },
    spans: { type: "boolean", default: false },
    signed: { type: "boolean", default: false },
  },
  allowPositionals: true,
});
const before = positionals[0];
if (before === undefined) {
  console.error(
    "Usage: scripts/bench/ab.ts <checkout before the change> [--turns N] [--trips N] [--echo] " +
      "[--spans] [--signed]",
  );
  Deno.exit(2);
}
const after = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const quantile = (list: readonly number[], q: number) =>
  [...list].sort((a, b) => a - b)[Math.floor(q * (list.length - 1))]!;

/** Runs `n` pairs (after warm-up), the two sides in turn, first one then the other first. */
async function paired(what: string, sides: [Side, Side], n: number, gapMs: number) {
  const times: [number[], number[]] = [[], []];
  const ratios: number[] = [];
  const pause = () => new Promise((resolve) => setTimeout(resolve, gapMs));
  for (let i = -10; i < n; i++) {
    const took = [0, 0];
    for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
      await pause();
      const started = performance.now();
      await sides[k]!.run(i);
      took[k] = performance.now() - started;
    }
    if (i < 0) continue;
    times[0].push(took[0]!);
    times[1].push(took[1]!);
    ratios.push(took[1]! / took[0]!);
  }
  const side = (list: number[]) =>
    `p50 ${quantile(list, 0.5).toFixed(2)} ms, p90 ${quantile(list, 0.9).toFixed(2)} ms`;
  console.log(
    `${what}\n  before: ${side(times[0])}\n  after:  ${side(times[1])}\n` +
      `  after / before, median of ${n} pairs: ${quantile(ratios, 0.5).toFixed(3)}x ` +
      `(after faster in ${ratios.filter((r) => r < 1).length}); load average ${
        Deno.loadavg().map((l) => l.toFixed(1)).join(" ")
      }`,
  );
}

/** An agent runtime of the tree at `root` against a fake LLM of that tree answering at once. */
async function turnSide(root: string, name: string) {
  const { startFakeOpenAI } = await import(`${root}/tests/fakes/openai_server.ts`);
  const { agentRuntime } = await import(`${root}/tests/_support/group_worker.ts`);
  const llm = await startFakeOpenAI({ fallback: { text: "42" } });
  const home = await Deno.makeTempDir({ prefix: `kafclaw-ab-${name}-` });
  const env = { KAFCLAW_POLICY_REQUESTS_PER_MINUTE: "0" };
  const runtime = await agentRuntime(home, { agentId: "wk", llm, env });
  const turn = (sessionKey: string) => async () => {
    const result = await runtime.door.enter({
      source: {
        kind: "task",
        group: "g",
        from: "req",
        vouched: false,
        taint: "trusted",
        scope: { zones: ["public"] },
      },
      sessionKey,
      text: "What is the answer?",
    });
    if (result.kind !== "turn") throw new Error(`${name}: the turn was ${result.kind}`);
  };
  return {
    fresh: { name, run: (i: number) => turn(`task:ab-${i}`)() },
    long: { name, run: () => turn("task:ab-long")() },
    async close() {
      await runtime.close();
      await llm.close();
      await Deno.remove(home, { recursive: true });
    },
  };
}

/** Starts `start` for each side twice, before, after, after, before; each side's runs alternate. */
async function balanced<T>(
  start: (root: string, name: string) => Promise<T>,
  pick: (t: T) => Side,
): Promise<{ sides: [Side, Side]; started: T[] }> {
  const started: T[] = [];
  const order = [[before, "before"], [after, "after"], [after, "after"], [before, "before"]];
  for (const [root, name] of order) started.push(await start(root!, name!));
  const [b1, a1, a2, b2] = started.map(pick) as [Side, Side, Side, Side];
  const side = (x: Side, y: Side): Side => ({
    name: x.name,
    run: (i) => (Math.floor(i / 2) % 2 === 0 ? x : y).run(i),
  });
  return { sides: [side(b1, b2), side(a1, a2)], started };
}

const turns = Number(values.turns);
const fresh = await balanced(turnSide, (t) => t.fresh);
await paired("the worker's turn alone, a session of its own", fresh.sides, turns, 3);
const long = await balanced(turnSide, (t) => t.long);
await paired("a turn continuing one long session", long.sides, turns, 3);
for (const t of [...fresh.started, ...long.started]) await t.close();

const brokers = await brokersForBench();
if (brokers === undefined) {
  console.log("delegation: no broker (scripts/kafka start, or KAFCLAW_TEST_BROKERS); not measured");
} else {
  const pairOf = async (root: string, name: string): Promise<Side> => {
    const { DelegationPair } = await import(`${root}/scripts/bench/_delegation_pairs.ts`);
    const { echo, spans, signed } = values;
    const pair = await DelegationPair.start(brokers, { arbiter: "none", echo, spans, signed });
    return { name, run: () => pair.roundTrip() };
  };
  const { sides } = await balanced(pairOf, (side) => side);
  await paired(
    (values.echo
      ? "delegation, the group protocol alone (a worker that answers at once), isolated round trips"
      : "delegation, pure path (arbiter none), isolated round trips") +
      (values.spans ? ", with spans" : "") + (values.signed ? ", in a signed group" : ""),
    sides,
    Number(values.trips),
    60,
  );
}
// The worker processes and clients end with this process.
Deno.exit(0);
