/**
 * How long `kafclaw gateway` takes to start in a signed group on the broker that `scripts/kafka
 * start` runs (or KAFCLAW_TEST_BROKERS), as a user starts it (the launcher, a fresh process):
 * from the spawn to its first heartbeat on the group's heartbeats topic (the record's timestamp)
 * and to its `started` line, when the gateway is ready (its API up). Each run ends with SIGTERM,
 * a clean leave, so the next start finds no leftover members.
 *
 *     deno run -P=test scripts/bench/gateway_start.ts [--runs 12]
 *     git archive <commit> | tar -x -C /tmp/before
 *     deno run -P=test scripts/bench/gateway_start.ts /tmp/before [--runs 12]
 *
 * With `--zone`, the agent also makes a zone (`kafclaw zone create lab`) and is admitted to it: each
 * start after the warm-up is a zone member's start again.
 *
 * Given another checkout (the code before a change), the two alternate run by run, each in a group
 * and home of its own, and the summary adds the median of the paired ratios (after / before;
 * below 1: this tree is faster).
 */
import { parseArgs } from "node:util";
import { parseRecord, topicsFor } from "../../core/protocol/mod.ts";
import { loadKafka } from "../../core/transport/mod.ts";
import { Child } from "../../tests/_support/child.ts";
import { cleanEnv, tempHome } from "../../tests/_support/cli.ts";
import { gatewayEnv } from "../../tests/_support/gateway_env.ts";
import { followTopic } from "../../tests/_support/topic_records.ts";
import { waitFor } from "../../tests/_support/wait.ts";
import { startFakeOpenAI } from "../../tests/fakes/openai_server.ts";
import { brokersForBench, noBroker } from "./_kafka_pairs.ts";

const { KafkaTransport } = await loadKafka();

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string", default: "12" }, zone: { type: "boolean", default: false } },
  allowPositionals: true,
});
const here = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const trees = positionals[0] === undefined
  ? [["this tree", here]]
  : [["before", positionals[0].replace(/\/$/, "")], ["after", here]];
const brokers = await brokersForBench();
if (brokers === undefined) {
  console.log(noBroker("gateway start"));
  Deno.exit(0);
}
const runs = Number(values.runs);
const llm = await startFakeOpenAI({ fallback: { text: "hi" } });
const watcher = new KafkaTransport({ brokers, clientId: "bench-gateway-start" });
/** When each group's agent sent a heartbeat (the record's timestamp), in ms since the epoch. */
const beats = new Map<string, number[]>();

/** A signed group made by `tree`'s own `kafclaw group init`, and its gateway's environment. */
async function side(name: string, tree: string) {
  const group = `benchstart${crypto.randomUUID().slice(0, 8)}`;
  const home = await tempHome();
  let env = gatewayEnv(home.path, llm, {
    KAFCLAW_GROUP_ENABLED: "true",
    KAFCLAW_GROUP_NAME: group,
    KAFCLAW_GROUP_KAFKA_BROKERS: brokers!.join(","),
    KAFCLAW_GROUP_AGENT_ID: "ann",
    NO_COLOR: "1",
  });
  const made = await kafclawIn(tree, ["group", "init", "--json"], env).output();
  if (made.code !== 0) {
    throw new Error(`${name}: group init: ${new TextDecoder().decode(made.stderr)}`);
  }
  const ownerKey = String(
    JSON.parse(new TextDecoder().decode(made.stdout)).owner_public_key,
  );
  env = { ...env, KAFCLAW_GROUP_OWNER_PUBLIC_KEY: ownerKey };
  // The zone's owner, ann works in it once its certificate names it.
  const admit = ["group", "admit", "ann", "--zones", "public,lab", "--vouched", "--issuer"];
  const zone = [["zone", "create", "lab"], admit];
  for (const args of values.zone ? zone : []) {
    const ran = await kafclawIn(tree, args, env).output();
    if (ran.code !== 0) {
      throw new Error(`${name}: ${args.join(" ")}: ${new TextDecoder().decode(ran.stderr)}`);
    }
  }
  beats.set(group, []);
  await followTopic(watcher, topicsFor(group).heartbeats, (record) => {
    const parsed = parseRecord(record);
    if (parsed.ok && parsed.envelope.sender_id === "ann") beats.get(group)!.push(record.timestamp);
  }, `bench-${group}`);
  return { name, tree, group, env, home, beat: [] as number[], ready: [] as number[] };
}

function kafclawIn(tree: string, args: string[], env: Record<string, string>): Deno.Command {
  return new Deno.Command(`${tree}/scripts/kafclaw`, {
    args,
    env: cleanEnv(env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** One start: spawn → first heartbeat after the spawn, spawn → `started`; then SIGTERM. */
async function start(s: Awaited<ReturnType<typeof side>>): Promise<[number, number]> {
  const spawned = Date.now();
  const t0 = performance.now();
  const child = new Child(kafclawIn(s.tree, ["gateway", "--json"], s.env));
  try {
    await child.until(/"event":"started"/);
    const ready = performance.now() - t0;
    const sent = () => beats.get(s.group)!.find((at) => at >= spawned);
    await waitFor(() => sent() !== undefined, `${s.name}'s first heartbeat`);
    return [sent()! - spawned, ready];
  } finally {
    await child.stop("SIGTERM").catch(() => {});
    await child[Symbol.asyncDispose]();
  }
}

const sides = [];
for (const [name, tree] of trees) sides.push(await side(name!, tree!));
const quantile = (list: readonly number[], q: number) =>
  [...list].sort((a, b) => a - b)[Math.floor(q * (list.length - 1))]!;
// One warm-up start each (the launcher's flags, Deno's caches), then the runs, alternating.
for (const s of sides) await start(s);
for (let i = 0; i < runs; i++) {
  for (const s of i % 2 === 0 ? sides : [...sides].reverse()) {
    const [beat, ready] = await start(s);
    s.beat.push(beat);
    s.ready.push(ready);
  }
}
const load = Deno.loadavg().map((n) => n.toFixed(1)).join(", ");
const what = values.zone ? "signed group, a zone's member" : "signed group";
console.log(`gateway start, ${what}, ${runs} runs each (load average ${load}):`);
for (const s of sides) {
  console.log(
    `  ${s.name.padEnd(10)} first heartbeat p50 ${quantile(s.beat, 0.5).toFixed(0)} ms, ` +
      `p90 ${quantile(s.beat, 0.9).toFixed(0)} ms; started p50 ` +
      `${quantile(s.ready, 0.5).toFixed(0)} ms, p90 ${quantile(s.ready, 0.9).toFixed(0)} ms`,
  );
}
if (sides.length === 2) {
  const [before, after] = sides as [(typeof sides)[0], (typeof sides)[0]];
  const ratio = (key: "beat" | "ready") =>
    quantile(after[key].map((x, i) => x / before[key][i]!), 0.5).toFixed(3);
  console.log(
    `  after / before, median of ${runs} pairs: first heartbeat ${ratio("beat")}x, ` +
      `started ${ratio("ready")}x`,
  );
}
for (const s of sides) await s.home[Symbol.asyncDispose]();
await llm.close();
Deno.exit(0);
