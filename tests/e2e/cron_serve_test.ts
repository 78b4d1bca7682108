/**
 * `kafclaw cron serve` as a user runs it: scripts/kafclaw in a temp KAFCLAW_HOME against the fake
 * OpenAI server. A job's stored next time is moved by opening the timeline, so nothing waits for a
 * real cron minute.
 */
import assert from "node:assert/strict";
import { Timeline } from "../../core/timeline/mod.ts";
import { type FakeTurnSource, startFakeOpenAI } from "../fakes/openai_server.ts";
import { Child } from "../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand, LAUNCHER_NAME, tempHome } from "../_support/cli.ts";

/** How long anything may take on a slow machine; polls end as soon as the thing happens. */
const DEADLINE_MS = 60_000;
const READY = /scheduler running/;

/** Polls `check` until it holds; fails naming `what` after {@link DEADLINE_MS}. */
async function eventually(what: string, check: () => boolean): Promise<void> {
  const until = Date.now() + DEADLINE_MS;
  while (!check()) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A `kafclaw cron serve` process whose output is collected as it comes. */
class Serve extends Child {
  constructor(env: Record<string, string>, args: string[] = []) {
    super(kafclawCommand(["cron", "serve", ...args], env));
  }
}

/** A temp home, a fake LLM with `turns`, and the environment of a scheduler looking every second. */
async function setUp(turns: FakeTurnSource[]) {
  const home = await tempHome();
  const llm = await startFakeOpenAI({ chat: turns });
  const env = {
    KAFCLAW_HOME: home.path,
    OPENAI_BASE_URL: llm.url,
    KAFCLAW_MODEL: "openai/gpt-test",
    KAFCLAW_SCHEDULER_ENABLED: "true",
    KAFCLAW_SCHEDULER_TICK_INTERVAL_MS: "1000",
  };
  return {
    home: home.path,
    llm,
    env,
    async [Symbol.asyncDispose]() {
      await llm.close();
      await home[Symbol.asyncDispose]();
    },
  };
}

async function addJob(env: Record<string, string>, name: string, message: string) {
  // New Year: far enough away that only a moved time makes it due.
  const r = await kafclaw(["cron", "add", name, "--schedule", "0 0 1 1 *", "-m", message], env);
  assert.equal(r.code, 0, r.stderr);
}

/** Moves a job's stored next run to `at`, as if the scheduler had been off since then. */
function moveNextRun(home: string, name: string, at: Date): void {
  using timeline = Timeline.open(`${home}/timeline.db`);
  const { schedule, message, enabled } = timeline.jobs.get(name)!;
  timeline.jobs.upsert({ name, schedule, message, enabled, nextRunAt: at });
}

interface ListedJob {
  name: string;
  last_status: string | null;
  run_count: number;
  next_run_at: string;
}

/** Every job as `kafclaw cron list --json` shows them. */
async function listedAll(env: Record<string, string>): Promise<ListedJob[]> {
  const r = await kafclaw(["cron", "list", "--json"], env);
  assert.equal(r.code, 0, r.stderr);
  return jsonOf(r) as ListedJob[];
}

/** A job as `kafclaw cron list --json` shows it. */
async function listed(env: Record<string, string>, name: string): Promise<ListedJob> {
  const job = (await listedAll(env)).find((j) => j.name === name);
  assert.ok(job, `job ${name} is listed`);
  return job;
}

const hourAgo = () => new Date(Date.now() - 3_600_000);

type Chat = { messages: { role: string; content: string }[] };

Deno.test("cron serve runs a missed job once as an internal message, records it, and stops on SIGTERM", async () => {
  await using t = await setUp([{ text: "Good morning, Ada." }]);
  await addJob(t.env, "hello", "Greet me");
  const slot = hourAgo();
  moveNextRun(t.home, "hello", slot);
  await using serve = new Serve(t.env);
  await serve.until(/^job hello: /m);
  assert.match(
    serve.stdout,
    new RegExp(
      `^job hello: ok \\(missed ${slot.toISOString()}, \\d+\\.\\d s\\): Good morning, Ada\\.$`,
      "m",
    ),
  );
  assert.equal(await serve.stop("SIGTERM"), 0, serve.stderr);
  assert.match(serve.stderr, /^kafclaw: stopping$/m);

  const requests = t.llm.chatRequests();
  assert.equal(requests.length, 1);
  const { messages } = requests[0]!.body as Chat;
  assert.equal(messages.at(-1)!.role, "user");
  assert.match(messages.at(-1)!.content, /Greet me/);
  assert.match(messages[0]!.content, /This message comes from your owner \(channel scheduler\)/);
  const job = await listed(t.env, "hello");
  assert.equal(job.last_status, "succeeded");
  assert.equal(job.run_count, 1);
  assert.ok(
    new Date(job.next_run_at) > new Date(),
    "the next time is New Year, not the missed one",
  );
  const list = await kafclaw(["cron", "list"], t.env);
  assert.match(list.stdout, /^hello +enabled .* succeeded +1$/m);
});

Deno.test("cron serve with scheduler.catchUp false skips a missed time and records it as skipped", async () => {
  await using t = await setUp([]);
  await addJob(t.env, "hello", "Greet me");
  const slot = hourAgo();
  moveNextRun(t.home, "hello", slot);
  await using serve = new Serve({ ...t.env, KAFCLAW_SCHEDULER_CATCH_UP: "false" });
  await serve.until(/^job hello: /m);
  assert.match(
    serve.stdout,
    new RegExp(
      `^job hello: skipped \\(missed ${slot.toISOString()}\\): scheduler.catchUp is false$`,
      "m",
    ),
  );
  // stderr is its own pipe: its start line may come after the run line on stdout.
  await serve.until(/missed times skipped/, "stderr");
  assert.equal(await serve.stop("SIGINT"), 0, serve.stderr);
  assert.equal(t.llm.chatRequests().length, 0);
  const job = await listed(t.env, "hello");
  assert.equal(job.last_status, "skipped");
  assert.ok(new Date(job.next_run_at) > new Date());
});

Deno.test("two cron serve processes on one KAFCLAW_HOME run a due time exactly once", async () => {
  // A second run would get the fake's "no scripted turn left" error and print `error`.
  await using t = await setUp([{ text: "Done once.", delayMs: 500 }]);
  await addJob(t.env, "once", "Do it once");
  await using a = new Serve(t.env);
  await using b = new Serve(t.env);
  await a.until(READY, "stderr");
  await b.until(READY, "stderr");
  // Both are running and looking every second: the time comes for both at the same instant.
  moveNextRun(t.home, "once", new Date(Date.now() + 2000));
  await eventually("a run", () => /^job once: /m.test(a.stdout + b.stdout));
  await eventually("the run recorded", () => {
    using timeline = Timeline.open(`${t.home}/timeline.db`);
    return timeline.jobs.get("once")!.runCount > 0;
  });
  // A window for a wrong second run: both have looked at the jobs again after the record.
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(await a.stop(), 0, a.stderr);
  assert.equal(await b.stop(), 0, b.stderr);
  const lines = (a.stdout + b.stdout).split("\n").filter((l) => l.startsWith("job "));
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.match(lines[0]!, /^job once: ok \(due \S+, \d+\.\d s\): Done once\.$/);
  assert.equal(t.llm.chatRequests().length, 1);
  const job = await listed(t.env, "once");
  assert.deepEqual([job.last_status, job.run_count], ["succeeded", 1]);
});

Deno.test("on SIGTERM cron serve waits for a running job; one that outlasts --grace is cancelled and stays due", async () => {
  const release = Promise.withResolvers<void>();
  await using t = await setUp([
    { text: "this never ends", hang: true },
    () => release.promise.then(() => ({ text: "Finally done." })),
  ]);
  await addJob(t.env, "slow", "Take your time");
  const slot = hourAgo();
  moveNextRun(t.home, "slow", slot);
  {
    await using serve = new Serve(t.env, ["--grace", "1"]);
    await eventually("the request", () => t.llm.chatRequests().length === 1);
    assert.equal(await serve.stop(), 0, serve.stderr);
    assert.match(serve.stderr, /stopping: waiting up to 1 s for slow/);
    assert.match(serve.stdout, /^job slow: cancelled \(missed \S+, \d+\.\d s\): stopped before/m);
    const job = await listed(t.env, "slow");
    assert.deepEqual([job.run_count, job.next_run_at], [0, slot.toISOString()], "still due");
  }
  await using serve = new Serve(t.env);
  await eventually("the second request", () => t.llm.chatRequests().length === 2);
  const exited = serve.stop("SIGTERM");
  await serve.until(/stopping: waiting up to 30 s for slow/, "stderr");
  assert.doesNotMatch(serve.stdout, /^job slow/m, "still running");
  release.resolve();
  assert.equal(await exited, 0, serve.stderr);
  assert.match(serve.stdout, /^job slow: ok \(missed \S+, \d+\.\d s\): Finally done\.$/m);
  const job = await listed(t.env, "slow");
  assert.deepEqual([job.last_status, job.run_count], ["succeeded", 1]);
});

Deno.test("cron serve refuses with scheduler.enabled false and says how to turn it on", async () => {
  await using t = await setUp([]);
  const r = await kafclaw(["cron", "serve"], { ...t.env, KAFCLAW_SCHEDULER_ENABLED: "false" });
  assert.deepEqual(r, {
    code: 2,
    stdout: "",
    stderr: "kafclaw: scheduler.enabled is false, so no jobs run; turn it on with " +
      `${LAUNCHER_NAME} config set scheduler.enabled true\n`,
  });
});

Deno.test("cron serve applies scheduler.jobs when config.json changes, and names what needs a restart", async () => {
  await using t = await setUp([]);
  const config = `${t.home}/config.json`;
  const jobs = (names: string[]) =>
    JSON.stringify(names.map((name) => ({ name, schedule: "0 0 1 1 *", message: `Do ${name}` })));
  let r = await kafclaw(["config", "set", "scheduler.jobs", jobs(["first"])], t.env);
  assert.equal(r.code, 0, r.stderr);
  await using serve = new Serve(t.env);
  await serve.until(READY, "stderr");
  r = await kafclaw(["config", "set", "scheduler.jobs", jobs(["second"])], t.env);
  assert.equal(r.code, 0, r.stderr);
  await serve.until(/changed: scheduler\.jobs applied/, "stderr");
  assert.match(
    serve.stderr,
    new RegExp(
      `^kafclaw: ${config} changed: scheduler.jobs applied: added second; removed first$`,
      "m",
    ),
  );
  assert.deepEqual((await listedAll(t.env)).map((j) => j.name), ["second"]);
  r = await kafclaw(["config", "set", "model.maxTokens", "1234"], t.env);
  assert.equal(r.code, 0, r.stderr);
  await serve.until(/restart cron serve/, "stderr");
  assert.match(
    serve.stderr,
    new RegExp(
      `^kafclaw: ${config} also changed model.maxTokens: restart cron serve to apply it$`,
      "m",
    ),
  );
  // SIGHUP reads it again at once.
  serve.process.kill("SIGHUP");
  await serve.until(/SIGHUP: read .* again: no job changed/, "stderr");
  // A config others could write is not applied, and serve says why.
  await Deno.writeTextFile(config, JSON.stringify({ scheduler: { jobs: [] } }));
  await Deno.chmod(config, 0o666);
  await serve.until(/not applied/, "stderr");
  assert.match(
    serve.stderr,
    /changed but was not applied: Cannot use .*config\.json: others can write it \(mode 666\); fix it with chmod 600 /,
  );
  using timeline = Timeline.open(`${t.home}/timeline.db`);
  assert.deepEqual(timeline.jobs.list().map((j) => j.name), ["second"], "jobs kept");
  assert.equal(await serve.stop(), 0, serve.stderr);
});

Deno.test("cron and agent refuse a config.json that others can write, naming the fix", async () => {
  await using t = await setUp([]);
  const config = `${t.home}/config.json`;
  await Deno.writeTextFile(config, "{}\n");
  await Deno.chmod(config, 0o666);
  const expected = `kafclaw: Cannot use ${config}: others can write it (mode 666); ` +
    `fix it with chmod 600 ${config}\n`;
  for (const args of [["cron", "serve"], ["cron", "list"], ["agent", "-m", "hi"]]) {
    const r = await kafclaw(args, t.env);
    assert.deepEqual([r.code, r.stderr, r.stdout], [1, expected, ""], args.join(" "));
  }
  assert.equal(t.llm.chatRequests().length, 0);
});
