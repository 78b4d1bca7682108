/**
 * Start-up of whole processes, each against a baseline measured in the same run with the same
 * Deno (`deno task bench` prints the ratios of the means; the summary at the end prints medians,
 * peak memory and the targets):
 *
 * - `scripts/kafclaw version` against an empty `deno run` (target: at most 1.5x);
 * - a one-shot `scripts/kafclaw agent -m` turn against a zero-latency fake LLM
 *   (tests/fakes/openai_server.ts), against a bare Deno script that makes the same streamed chat
 *   call with npm:openai (targets: at most 2x the time and 1.3x the peak memory);
 * - the resident memory of an interactive agent left idle for 30 s (target: at most 60 MB);
 * - the commands that should load little (`--help`, `completion bash`, `cron list`, `status`,
 *   `memory status`, `task list`, `group skills list`, and `group members` beside a standalone
 *   gateway of the same home, started for that row and stopped after it),
 *   each against `scripts/kafclaw version`, which loads nothing;
 * - a standalone `scripts/kafclaw gateway`, from its launch to its `started` line, in a fresh
 *   home each time (then stopped); with
 *   `KAFCLAW_STARTUP_BEFORE=<checkout>` (the code before a change, e.g.
 *   `git archive <commit> | tar -x -C /tmp/before`) each of these, and the `agent -m` turn, is
 *   also run by that checkout's launcher, alternating with this tree's, and the summary prints
 *   after / before as the median of the paired ratios (and for the turn its peak memory too).
 *
 * Peak memory is GNU time's maximum resident set size (`/usr/bin/time -f %M`); without it the
 * summary says so and leaves memory out.
 */
import { startFakeOpenAI } from "../../tests/fakes/openai_server.ts";

const root = new URL("../../", import.meta.url).pathname;
const deno = Deno.execPath();
const scratch = `${root}.tmp/bench-startup`;
await Deno.mkdir(scratch, { recursive: true });
const home = await Deno.makeTempDir({ dir: scratch, prefix: "home-" });
await Deno.writeTextFile(`${scratch}/empty.ts`, "");
// Inside the checkout, so that "openai" resolves as it does for KafClaw (deno.json, deno.lock).
await Deno.writeTextFile(
  `${scratch}/bare_chat.ts`,
  `import OpenAI from "openai";
const client = new OpenAI({ baseURL: Deno.env.get("OPENAI_BASE_URL"), apiKey: "sk-bench" });
const stream = await client.chat.completions.create({
  model: "gpt-bench",
  messages: [{ role: "user", content: "hi" }],
  stream: true,
});
for await (const chunk of stream) {
  Deno.stdout.writeSync(new TextEncoder().encode(chunk.choices[0]?.delta?.content ?? ""));
}
console.log();
`,
);
const llm = await startFakeOpenAI({ fallback: "echo" });
const env = {
  KAFCLAW_HOME: home,
  OPENAI_BASE_URL: llm.url,
  OPENAI_API_KEY: "sk-bench",
  KAFCLAW_MODEL: "openai/gpt-bench",
};
/** A standalone gateway's: free ports, no embedding model. */
const gatewayEnv = {
  ...env,
  KAFCLAW_GATEWAY_PORT: "0",
  KAFCLAW_GATEWAY_DASHBOARD_PORT: "0",
  KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
};
const gnuTime = await Deno.stat("/usr/bin/time").then(() => true, () => false);

/** Per bench: wall times (ms) and peak resident memory (KiB) of each run. */
const runs = new Map<string, { ms: number[]; kib: number[] }>();
let idleKib: number | undefined;

/** Runs a process to its end, recording its wall time and peak memory under `name`. */
async function timed(name: string, command: string, args: string[]): Promise<void> {
  const started = performance.now();
  const out = await new Deno.Command(gnuTime ? "/usr/bin/time" : command, {
    args: gnuTime ? ["-f", "%M", command, ...args] : args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - started;
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${name} failed (exit ${out.code}): ${stderr}`);
  const entry = runs.get(name) ?? { ms: [], kib: [] };
  entry.ms.push(ms);
  if (gnuTime) entry.kib.push(Number(stderr.trim().split("\n").at(-1)));
  runs.set(name, entry);
}

// Every name starts with "startup" so that `deno task bench --filter startup` runs them all.
const EMPTY = "startup: empty deno run";
const VERSION = "startup: kafclaw version";
const BARE = "startup: bare openai chat";
const AGENT = "startup: kafclaw agent -m";
const kafclaw = `${root}scripts/kafclaw`;
let session = 0;

const runEmpty = () => timed(EMPTY, deno, ["run", "--quiet", "--no-prompt", `${scratch}/empty.ts`]);
const runVersion = () => timed(VERSION, kafclaw, ["version"]);
const runBare = () =>
  timed(BARE, deno, [
    "run",
    "--quiet",
    "--no-prompt",
    "--allow-env",
    "--allow-net",
    `${scratch}/bare_chat.ts`,
  ]);
const before = Deno.env.get("KAFCLAW_STARTUP_BEFORE");
// A new session each time: the home is warm (database, soul, sandbox check), the turn is first.
const agentTurn = (name: string, launcher: string) => () =>
  timed(name, launcher, ["agent", "-s", `cli:bench-${session++}`, "-m", "hi"]);
const runAgent = agentTurn(AGENT, kafclaw);

/**
 * Each iteration runs the other side of the pair first, untimed, so that baseline and subject
 * alternate and a machine that gets busier or quieter during the run weighs on both alike.
 */
function paired(other: () => Promise<void>, mine: () => Promise<void>) {
  return async (b: Deno.BenchContext) => {
    await other();
    b.start();
    await mine();
    b.end();
  };
}

Deno.bench(
  EMPTY,
  { group: "startup: version", baseline: true, n: 30, warmup: 3 },
  paired(runVersion, runEmpty),
);
Deno.bench(VERSION, { group: "startup: version", n: 30, warmup: 3 }, paired(runEmpty, runVersion));
Deno.bench(
  BARE,
  { group: "startup: agent -m", baseline: true, n: 15, warmup: 2 },
  paired(runAgent, runBare),
);
Deno.bench(
  AGENT,
  { group: "startup: agent -m", n: 15, warmup: 2 },
  // With a checkout before, its turn runs beside the pair, before it and after it in turn.
  before === undefined ? paired(runBare, runAgent) : pairedWithBefore(
    runBare,
    agentTurn(`${AGENT} (before)`, `${before}/scripts/kafclaw`),
    runAgent,
  ),
);

/** {@link paired}, with the checkout before's run after the pair in one iteration, before it in the next. */
function pairedWithBefore(
  other: () => Promise<void>,
  old: () => Promise<void>,
  mine: () => Promise<void>,
) {
  let turn = 0;
  return async (b: Deno.BenchContext) => {
    const first = turn++ % 2 === 0;
    if (first) await old();
    await other();
    b.start();
    await mine();
    b.end();
    if (!first) await old();
  };
}
/** The commands that should load little, each paired with `kafclaw version`. */
const LIGHT = [
  ["--help"],
  ["completion", "bash"],
  ["cron", "list"],
  ["status"],
  ["memory", "status"],
  ["task", "list"],
  ["group", "skills", "list"],
  // Beside a running gateway: the roster comes from its store.
  ["group", "members"],
] as const;
const lightName = (args: readonly string[], side = "") =>
  `startup: kafclaw ${args.join(" ")}${side}`;
for (const args of LIGHT) {
  const name = lightName(args);
  // Each iteration runs the command, `kafclaw version` and (with a checkout before) that
  // checkout's command, in an order that turns with the iteration; each is recorded under a name
  // of this command's own, so the samples of one iteration stay side by side.
  const sides = [
    () => timed(`${name} / version`, kafclaw, ["version"]),
    ...(before === undefined
      ? []
      : [() => timed(lightName(args, " (before)"), `${before}/scripts/kafclaw`, [...args])]),
  ];
  let turn = 0;
  Deno.bench(name, { group: `startup: ${args[0]}`, n: 20, warmup: 2 }, async (b) => {
    if (args[1] === "members") await gatewayUp();
    const order = [...sides.keys(), -1];
    const at = turn++ % order.length;
    for (const k of [...order.slice(at), ...order.slice(0, at)]) {
      if (k >= 0) await sides[k]!();
      else {
        b.start();
        await timed(name, kafclaw, [...args]);
        b.end();
      }
    }
  });
}

const GATEWAY = "startup: kafclaw gateway, standalone, until started";

/** Launches a standalone gateway in a fresh home; records the time to its `started` line. */
async function timedGatewayStart(name: string, launcher: string): Promise<void> {
  const fresh = await Deno.makeTempDir({ dir: scratch, prefix: "gateway-" });
  const started = performance.now();
  const child = new Deno.Command(launcher, {
    args: ["gateway", "--json"],
    env: { ...gatewayEnv, KAFCLAW_HOME: fresh },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let text = "";
  let ms: number | undefined;
  for await (const line of child.stdout.pipeThrough(new TextDecoderStream())) {
    text += line;
    if (ms === undefined && text.includes('"event":"started"')) {
      ms = performance.now() - started;
      child.kill("SIGTERM");
    }
  }
  await child.status;
  await Deno.remove(fresh, { recursive: true });
  if (ms === undefined) throw new Error(`The gateway (${launcher}) never started: ${text}`);
  const entry = runs.get(name) ?? { ms: [], kib: [] };
  entry.ms.push(ms);
  runs.set(name, entry);
}

{
  // With a checkout before, its gateway is the baseline, alternating; else `kafclaw version`.
  const base = before === undefined ? `${GATEWAY} / version` : `${GATEWAY} (before)`;
  const other = before === undefined
    ? () => timed(base, kafclaw, ["version"])
    : () => timedGatewayStart(base, `${before}/scripts/kafclaw`);
  let turn = 0;
  Deno.bench(GATEWAY, { group: "startup: gateway", n: 20, warmup: 2 }, async (b) => {
    if (turn++ % 2 === 0) await other();
    b.start();
    await timedGatewayStart(GATEWAY, kafclaw);
    b.end();
    if (turn % 2 === 0) await other();
  });
}

/** The standalone gateway `group members` runs beside, in the same home; undefined when down. */
let gateway: Deno.ChildProcess | undefined;

/** Starts that gateway (once) and waits until `group members` reads its roster from the store. */
async function gatewayUp(): Promise<void> {
  if (gateway !== undefined) return;
  gateway = new Deno.Command(kafclaw, {
    args: ["gateway", "--json"],
    env: gatewayEnv,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let tries = 0; tries < 600; tries++) {
    const out = await new Deno.Command(kafclaw, {
      args: ["group", "members", "--json"],
      env,
      stdout: "piped",
      stderr: "null",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (out.success && JSON.parse(text).source === "agent") return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("The gateway beside `group members` never showed its roster");
}

/** Stops that gateway, if it runs, and waits for it to end. */
async function gatewayDown(): Promise<void> {
  if (gateway === undefined) return;
  gateway.kill("SIGTERM");
  await gateway.status;
  gateway = undefined;
}

Deno.bench("startup: kafclaw agent, idle 30 s", {
  group: "startup: idle",
  n: 1,
  warmup: 0,
}, async () => {
  await gatewayDown();
  idleKib = await idleResident(30_000);
});

/** The resident memory (KiB) of `kafclaw agent` waiting at its prompt for `ms`. */
async function idleResident(ms: number): Promise<number> {
  const child = new Deno.Command(kafclaw, {
    args: ["agent", "-s", "cli:bench-idle"],
    env,
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("you: ")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`The interactive agent ended before its prompt: ${seen}`);
    seen += value;
  }
  await new Promise((resolve) => setTimeout(resolve, ms));
  const ps = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(child.pid)] })
    .output();
  await child.stdin.close();
  reader.releaseLock();
  await child.stderr.cancel().catch(() => {});
  await child.status;
  return Number(new TextDecoder().decode(ps.stdout).trim());
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
};

/** The median of the ratios of paired samples (each run of `a` beside its run of `b`). */
const pairedRatio = (a: readonly number[], b: readonly number[]) =>
  median(a.map((value, i) => value / b[i]!).filter((r) => Number.isFinite(r)));

globalThis.addEventListener("unload", () => {
  const line = (name: string, base: string, target?: string) => {
    const [a, b] = [runs.get(name), runs.get(base)];
    if (!a || !b) return;
    console.log(
      `  ${name.padEnd(34)} ${median(a.ms).toFixed(1).padStart(7)} ms  ` +
        `${pairedRatio(a.ms, b.ms).toFixed(2)}x ${base} (${median(b.ms).toFixed(1)} ms` +
        `${target === undefined ? "" : `; target <= ${target}x`})`,
    );
  };
  const memory = (name: string, base: string, target?: string) => {
    const [a, b] = [runs.get(name), runs.get(base)];
    if (!a?.kib.length || !b?.kib.length) return;
    console.log(
      `  ${`${name}, peak memory`.padEnd(34)} ${
        (median(a.kib) / 1024).toFixed(1).padStart(7)
      } MiB ` +
        `${pairedRatio(a.kib, b.kib).toFixed(2)}x ${base} ` +
        `(${(median(b.kib) / 1024).toFixed(1)} MiB${
          target === undefined ? "" : `; target <= ${target}x`
        })`,
    );
  };
  if (runs.size > 0 || idleKib !== undefined) {
    console.log(`\nstartup: medians of paired whole-process runs, this machine, this run`);
    line(VERSION, EMPTY, "1.5");
    line(AGENT, BARE, "2");
    for (const args of LIGHT) {
      line(lightName(args), `${lightName(args)} / version`);
      if (before !== undefined) line(lightName(args), lightName(args, " (before)"));
    }
    line(GATEWAY, before === undefined ? `${GATEWAY} / version` : `${GATEWAY} (before)`);
    memory(AGENT, BARE, "1.3");
    if (before !== undefined) {
      line(AGENT, `${AGENT} (before)`);
      memory(AGENT, `${AGENT} (before)`);
    }
    if (!gnuTime) console.log("  (peak memory needs GNU time at /usr/bin/time)");
    if (idleKib !== undefined) {
      console.log(
        `  kafclaw agent at its prompt, resident after 30 s: ${(idleKib / 1024).toFixed(1)} MiB ` +
          `(target <= 60 MB)`,
      );
    }
  }
  // An unload handler cannot wait: the gateway, told to stop, ends on its own.
  gateway?.kill("SIGTERM");
  llm.close();
  Deno.removeSync(home, { recursive: true });
});
