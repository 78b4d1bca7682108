import assert from "node:assert/strict";
import { runLine } from "../../../cli/cron.ts";
import { permissionSetFor } from "../../../core/permissions/mod.ts";
import { Timeline } from "../../../core/timeline/mod.ts";
import { startFakeOpenAI } from "../../fakes/openai_server.ts";
import { tempHome, writeConfig } from "../core/config/_helpers.ts";
import { kafclawInProcess as kafclaw } from "../../_support/cli_in_process.ts";

const NOTE = "kafclaw: note: scheduler.enabled is false, so no jobs run on their schedule " +
  "(kafclaw config set scheduler.enabled true)";

/** Next New Year in Berlin and the first of next month in UTC, as the CLI prints them. */
function upcoming() {
  const now = new Date();
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return {
    newYear: `${now.getUTCFullYear() + 1}-01-01 00:00`,
    firstOfMonth: month.toISOString().slice(0, 10) + " 00:00",
  };
}

Deno.test("cron add, list, disable, enable and rm round-trip through the timeline", async () => {
  await using home = await tempHome();
  const env = { KAFCLAW_HOME: home.path };
  const { newYear, firstOfMonth } = upcoming();
  const add = await kafclaw(
    env,
    ...["cron", "add", "greet", "--schedule", "0 0 1 1 *", "-m", "Wish me a happy new year"],
    ...["--timezone", "Europe/Berlin"],
  );
  assert.deepEqual(add, {
    code: 0,
    stdout: `added job greet: CRON_TZ=Europe/Berlin 0 0 1 1 *, next run ${newYear} Europe/Berlin`,
    stderr: NOTE,
  });
  const again = await kafclaw(env, "cron", "add", "greet", "--schedule", "@daily", "-m", "x");
  assert.equal(again.code, 2);
  assert.equal(
    again.stderr,
    'kafclaw: job "greet" exists; use --replace to change it, or cron rm greet',
  );
  const monthly = await kafclaw(
    { ...env, KAFCLAW_SCHEDULER_ENABLED: "true" },
    ...["cron", "add", "report", "--schedule", "@monthly", "-m", "Monthly report", "--disabled"],
  );
  assert.deepEqual(monthly, {
    code: 0,
    stdout: "added job report: @monthly, disabled",
    stderr: "",
  });
  const replaced = await kafclaw(
    { ...env, KAFCLAW_SCHEDULER_ENABLED: "true" },
    ...["cron", "add", "report", "--schedule", "@monthly", "-m", "The report", "--replace"],
  );
  assert.equal(replaced.stdout, `changed job report: @monthly, next run ${firstOfMonth} UTC`);

  const list = await kafclaw(env, "cron", "list");
  assert.equal(list.code, 0);
  assert.equal(
    list.stdout,
    [
      "NAME    STATE    SCHEDULE   TIME ZONE      NEXT RUN          LAST RUN  RUNS",
      `greet   enabled  0 0 1 1 *  Europe/Berlin  ${newYear}  -         0`,
      `report  enabled  0 0 1 * *  UTC            ${firstOfMonth}  -         0`,
    ].join("\n"),
  );
  const json = JSON.parse((await kafclaw(env, "cron", "ls", "--json")).stdout);
  assert.deepEqual(json[1], {
    name: "report",
    schedule: "0 0 1 * *",
    timezone: "UTC",
    message: "The report",
    enabled: true,
    defined_in: "cli",
    next_run_at: `${firstOfMonth.slice(0, 10)}T00:00:00.000Z`,
    last_run_at: null,
    last_status: null,
    run_count: 0,
    running: false,
  });

  assert.equal(
    (await kafclaw(env, "cron", "disable", "greet")).stdout,
    "job greet: CRON_TZ=Europe/Berlin 0 0 1 1 *, disabled",
  );
  assert.match(
    (await kafclaw(env, "cron", "list")).stdout,
    /^greet {3}disabled {2}0 0 1 1 \* {2}Europe\/Berlin {2}- +- +0$/m,
  );
  assert.equal(
    (await kafclaw(env, "cron", "enable", "greet")).stdout,
    `job greet: CRON_TZ=Europe/Berlin 0 0 1 1 *, next run ${newYear} Europe/Berlin`,
  );
  const rm = await kafclaw(env, "cron", "rm", "greet");
  assert.deepEqual(rm, { code: 0, stdout: "removed job greet", stderr: "" });
  assert.doesNotMatch((await kafclaw(env, "cron", "list")).stdout, /greet/);
  for (const action of ["rm", "enable", "disable", "run"]) {
    const missing = await kafclaw(env, "cron", action, "nope");
    assert.deepEqual(missing, {
      code: 2,
      stdout: "",
      stderr: 'kafclaw: no job named "nope" (kafclaw cron list)',
    });
  }
});

Deno.test("cron add refuses a bad schedule, name, time zone or message, naming the fault", async () => {
  await using home = await tempHome();
  const env = { KAFCLAW_HOME: home.path, KAFCLAW_SCHEDULER_ENABLED: "1" };
  const add = (...args: string[]) => kafclaw(env, "cron", "add", ...args);
  assert.deepEqual(await add("j", "--schedule", "61 * * * *", "-m", "m"), {
    code: 2,
    stdout: "",
    stderr: 'kafclaw: Cannot parse cron expression "61 * * * *": minute 61 is out of range 0-59',
  });
  assert.match(
    (await add("j", "--schedule", "0 9 * * *", "-m", "m", "--timezone", "Mars/Base")).stderr,
    /^kafclaw: Cannot parse cron expression "CRON_TZ=Mars\/Base 0 9 \* \* \*": unknown time zone "Mars\/Base"$/,
  );
  assert.match((await add("a b", "--schedule", "@daily", "-m", "m")).stderr, /as a job name/);
  assert.match((await add("j", "--schedule", "@daily", "-m", " ")).stderr, /its message is empty/);
  const missing = await add("j", "-m", "m");
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /required option '--schedule <cron>' not specified/);
  const empty = await kafclaw(env, "cron", "list");
  assert.deepEqual(empty, {
    code: 0,
    stdout: "",
    stderr: "kafclaw: no jobs yet; add one with kafclaw cron add <name> --schedule …",
  });
});

Deno.test("cron uses scheduler.timezone as the default zone and lists an invalid stored job", async () => {
  await using home = await tempHome();
  const env = { KAFCLAW_HOME: home.path, KAFCLAW_SCHEDULER_TIMEZONE: "Asia/Tokyo" };
  const add = await kafclaw(env, "cron", "add", "tea", "--schedule", "0 15 * * *", "-m", "Tea");
  assert.match(
    add.stdout,
    /^added job tea: CRON_TZ=Asia\/Tokyo 0 15 \* \* \*, next run .* Asia\/Tokyo$/,
  );
  {
    using timeline = Timeline.open(`${home.path}/timeline.db`);
    timeline.jobs.upsert({ name: "broken", schedule: "every day", message: "m" });
    timeline.jobs.tryLock("tea", { owner: "gateway-1", until: new Date(Date.now() + 60_000) });
  }
  const list = await kafclaw(env, "cron", "list");
  assert.match(list.stdout, /^broken {2}enabled {2}every day +\(invalid\) +- +- +0$/m);
  assert.match(list.stdout, /^tea {5}running {2}0 15 \* \* \* +Asia\/Tokyo /m);
  const json = JSON.parse((await kafclaw(env, "cron", "list", "--json")).stdout);
  assert.deepEqual(
    json.map((j: { timezone: string; running: boolean }) => [j.timezone, j.running]),
    [
      ["(invalid)", false],
      ["Asia/Tokyo", true],
    ],
  );
  const busy = await kafclaw(env, "cron", "run", "tea");
  assert.equal(busy.code, 2, "no provider configured");
  assert.match(busy.stderr, /^kafclaw: No LLM provider is configured/);
});

Deno.test("cron run sends the job's message to the agent and prints the answer", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({
    chat: [{ text: "Good morning, Ada." }, { status: 400 }],
  });
  const env = {
    KAFCLAW_HOME: home.path,
    OPENAI_BASE_URL: llm.url,
    KAFCLAW_MODEL: "openai/gpt-test",
  };
  await kafclaw(env, "cron", "add", "hello", "--schedule", "0 7 * * *", "-m", "Greet me");
  await kafclaw(env, "cron", "add", "off", "--schedule", "0 7 * * *", "-m", "m", "--disabled");
  const run = await kafclaw(env, "cron", "run", "hello");
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "Good morning, Ada.");
  const request = llm.chatRequests()[0]!.body as { messages: { role: string; content: string }[] };
  assert.match(request.messages.at(-1)!.content, /Greet me/);
  assert.ok([...Deno.readDirSync(`${home.path}/sessions`)].some((f) => f.name.includes("cron")));
  const failed = await kafclaw(env, "cron", "run", "hello");
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /^kafclaw: job hello failed: /);
  {
    using timeline = Timeline.open(`${home.path}/timeline.db`);
    const job = timeline.jobs.get("hello")!;
    assert.equal(job.runCount, 2);
    assert.equal(job.lastStatus, "failed");
    timeline.jobs.tryLock("hello", { owner: "gateway-1", until: new Date(Date.now() + 60_000) });
  }
  const list = await kafclaw(env, "cron", "list");
  assert.match(list.stdout, /^hello +running +0 7 \* \* \* +UTC +\S+ \S+ +\S+ \S+ failed +2$/m);
  const [hello] = JSON.parse((await kafclaw(env, "cron", "list", "--json")).stdout);
  assert.equal(hello.last_status, "failed");
  assert.match(hello.last_run_at, /^\d{4}-\d\d-\d\dT/);
  const busy = await kafclaw(env, "cron", "run", "hello");
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /^kafclaw: job hello is running elsewhere \(gateway-1 until \d{4}-/);
  assert.deepEqual(await kafclaw(env, "cron", "run", "off"), {
    code: 2,
    stdout: "",
    stderr: "kafclaw: job off is disabled; kafclaw cron enable off first",
  });
});

Deno.test("cron with a configuration that is not JSON says what is wrong and exits 2", async () => {
  await using home = await tempHome();
  await writeConfig(home.path, "{ not json");
  const r = await kafclaw({ KAFCLAW_HOME: home.path }, "cron", "list");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^kafclaw: .*config\.json/);
});

Deno.test("cron serve runs under the cron permission set and refuses what it cannot start", async () => {
  assert.equal(permissionSetFor(["cron", "serve"]), "cron");
  assert.equal(permissionSetFor(["--debug", "cron", "serve", "--grace", "5"]), "cron");
  await using home = await tempHome();
  const env = { KAFCLAW_HOME: home.path, KAFCLAW_SCHEDULER_ENABLED: "true" };
  const badGrace = await kafclaw(env, "cron", "serve", "--grace", "soon");
  assert.equal(badGrace.code, 2);
  assert.match(badGrace.stderr, /--grace <seconds>.*expected a number of seconds \(0 or more\)/);
  const noProvider = await kafclaw(env, "cron", "serve");
  assert.equal(noProvider.code, 2);
  assert.match(noProvider.stderr, /^kafclaw: No LLM provider is configured/);
  assert.deepEqual(await kafclaw({ KAFCLAW_HOME: home.path }, "cron", "serve"), {
    code: 2,
    stdout: "",
    stderr: "kafclaw: scheduler.enabled is false, so no jobs run; turn it on with " +
      "kafclaw config set scheduler.enabled true",
  });
});

Deno.test("cron serve prints one line per run: ok with the answer, error, skipped, cancelled", () => {
  const base = {
    job: "digest",
    trigger: "schedule" as const,
    slot: new Date("2026-11-26T07:00:00Z"),
    startedAt: new Date("2026-11-26T07:00:00.100Z"),
    endedAt: new Date("2026-11-26T07:00:03.340Z"),
    recorded: true,
  };
  const long = "x".repeat(120);
  assert.deepEqual(
    [
      runLine({ ...base, status: "succeeded", answer: "  Here is your digest.\nMore lines." }),
      runLine({ ...base, status: "succeeded", answer: long }),
      runLine({ ...base, status: "succeeded", answer: "" }),
      runLine({ ...base, trigger: "catch-up", status: "failed", error: "provider down" }),
      runLine({ ...base, status: "failed", error: "late", recorded: false }),
      runLine({ ...base, trigger: "catch-up", status: "skipped", endedAt: base.startedAt }),
      runLine({ ...base, status: "cancelled", error: "aborted", recorded: false }),
      runLine({ ...base, trigger: "manual", slot: undefined, status: "succeeded", answer: "Hi" }),
    ],
    [
      "job digest: ok (due 2026-11-26T07:00:00.000Z, 3.2 s): Here is your digest.",
      `job digest: ok (due 2026-11-26T07:00:00.000Z, 3.2 s): ${"x".repeat(99)}…`,
      "job digest: ok (due 2026-11-26T07:00:00.000Z, 3.2 s)",
      "job digest: error (missed 2026-11-26T07:00:00.000Z, 3.2 s): provider down",
      "job digest: error (due 2026-11-26T07:00:00.000Z, 3.2 s): late (not recorded)",
      "job digest: skipped (missed 2026-11-26T07:00:00.000Z): scheduler.catchUp is false",
      "job digest: cancelled (due 2026-11-26T07:00:00.000Z, 3.2 s): stopped before it ended; " +
      "its time stays due",
      "job digest: ok (manual, 3.2 s): Hi",
    ],
  );
});

Deno.test("jobs from scheduler.jobs are listed and run like the others, edited only in config", async () => {
  await using home = await tempHome();
  const file = await writeConfig(home.path, {
    scheduler: {
      jobs: [{ name: "digest", schedule: "0 0 1 * *", message: "Summarise the month" }],
    },
  });
  const env = { KAFCLAW_HOME: home.path };
  assert.equal(
    (await kafclaw(env, "cron", "add", "mine", "--schedule", "@daily", "-m", "x")).code,
    0,
  );
  const list = await kafclaw(env, "cron", "list", "--json");
  assert.equal(list.code, 0, list.stderr);
  const jobs = JSON.parse(list.stdout) as { name: string; message: string; defined_in: string }[];
  assert.deepEqual(jobs.map((j) => [j.name, j.message, j.defined_in]), [
    ["digest", "Summarise the month", "config"],
    ["mine", "x", "cli"],
  ]);
  for (
    const args of [["rm", "digest"], ["disable", "digest"], [
      "add",
      "digest",
      "--schedule",
      "@daily",
      "-m",
      "y",
      "--replace",
    ]]
  ) {
    const refused = await kafclaw(env, "cron", ...args);
    assert.equal(refused.code, 2, args.join(" "));
    assert.equal(
      refused.stderr,
      `kafclaw: job digest is defined in scheduler.jobs of ${file}; change it there`,
    );
  }
  // Removed from config, the job is gone; the one added with cron add stays.
  await writeConfig(home.path, {});
  const after = await kafclaw(env, "cron", "list", "--json");
  assert.deepEqual(JSON.parse(after.stdout).map((j: { name: string }) => j.name), ["mine"]);
});
