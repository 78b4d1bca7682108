/**
 * `kafclaw gateway` with Telegram enabled, as a user runs it: the gateway polls the (fake) Bot API,
 * answers the owner's message, `kafclaw channels status` shows the channel connected while it
 * runs and not connected once it stopped.
 */
import assert from "node:assert/strict";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import { startFakeTelegram } from "../fakes/telegram_server.ts";
import { Child } from "../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand, tempHome } from "../_support/cli.ts";
import { gatewayEnv, telegramEnv } from "../_support/gateway_env.ts";
import { waitFor } from "../_support/wait.ts";
import { Timeline } from "../../core/timeline/mod.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a gateway answers on Telegram and channels status shows it connected",
  opts,
  async () => {
    await using home = await tempHome();
    await using llm = await startFakeOpenAI({ fallback: { text: "Hello from the gateway." } });
    await using telegram = await startFakeTelegram();
    const env = gatewayEnv(home.path, llm, telegramEnv(telegram));

    await using gateway = new Child(kafclawCommand(["gateway", "--json"], env));
    await gateway.until(/"event":"started"/);
    telegram.pushMessage(1001, "hi");
    await waitFor(() => telegram.sent.length === 1, "the answer", { state: () => gateway.stderr });
    assert.equal(telegram.sent[0]!.text, "Hello from the gateway.");

    const running = await kafclaw(["channels", "status", "--json"], env);
    assert.equal(running.code, 0, running.stderr);
    const status = jsonOf(running, { what: "channels status" });
    assert.equal(status.gateway_running, true);
    assert.deepEqual(status.channels[0], {
      channel: "telegram",
      enabled: true,
      dm_policy: "pairing",
      connected: true,
    });

    assert.equal(await gateway.stop("SIGTERM"), 0, gateway.stderr);
    const after = await kafclaw(["channels", "status"], env);
    assert.match(after.stdout, /^telegram {2}not connected {2}dmPolicy pairing$/m);
    assert.ok(!gateway.stderr.includes(telegram.token), "the token never reaches the logs");
  },
);

Deno.test("a gateway with Telegram enabled and no token is refused in one line", async () => {
  await using home = await tempHome();
  const r = await kafclaw(["gateway"], {
    KAFCLAW_HOME: home.path,
    KAFCLAW_MODEL: "openai/gpt-test",
    OPENAI_API_KEY: "sk-test",
    KAFCLAW_CHANNELS_TELEGRAM_ENABLED: "true",
  });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr.trim(),
    "kafclaw: Cannot run Telegram without channels.telegram.token (the bot token from BotFather)",
  );
});

Deno.test("a scheduled job's result reaches the owner's Telegram chat once", opts, async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ chat: [{ text: "Backups are fine." }] });
  await using telegram = await startFakeTelegram();
  const env = gatewayEnv(home.path, llm, {
    ...telegramEnv(telegram),
    KAFCLAW_SCHEDULER_ENABLED: "true",
    KAFCLAW_SCHEDULER_TICK_INTERVAL_MS: "1000",
  });
  const added = await kafclaw(
    ["cron", "add", "backups", "--schedule", "0 0 1 1 *", "-m", "Check the backups"],
    env,
  );
  assert.equal(added.code, 0, added.stderr);
  {
    // Due an hour ago, as if the gateway had been off: it runs once at start.
    using timeline = Timeline.open(`${home.path}/timeline.db`);
    const job = timeline.jobs.get("backups")!;
    timeline.jobs.upsert({ ...job, nextRunAt: new Date(Date.now() - 3_600_000) });
  }
  await using gateway = new Child(kafclawCommand(["gateway", "--json"], env));
  await waitFor(() => telegram.sent.length > 0, "the job's result", {
    state: () => gateway.stderr,
  });
  assert.deepEqual(telegram.sent.map((s) => [s.chatId, s.text]), [
    ["1001", "[backups] Backups are fine."],
  ]);
  // With --json the run is an event line like the others, in the API's shape.
  await gateway.until(/"event":"job_run"/);
  const run = gateway.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))
    .find((e: { event: string }) => e.event === "job_run");
  assert.deepEqual([run.job, run.status, run.trigger, run.answer], [
    "backups",
    "succeeded",
    "catch-up",
    "Backups are fine.",
  ]);
  assert.match(run.started_at, /^\d{4}-\d\d-\d\dT/);
  assert.equal(await gateway.stop("SIGTERM"), 0, gateway.stderr);
});

Deno.test("a gateway stopped while the Bot API holds its first call ends at once, saying so", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ fallback: { text: "hi" } });
  // A Bot API that takes connections and never answers: the channel's start waits on it.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const url = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
    const env = gatewayEnv(home.path, llm, telegramEnv({ token: "123:held", url }));
    await using gateway = new Child(kafclawCommand(["gateway"], env));
    await waitFor(() => held.length > 0, "the channel's call to the Bot API", {
      state: () => gateway.stderr,
    });
    // Before, the gateway went on waiting for that answer: the wait is bounded here.
    assert.equal(await gateway.stopWithin("SIGTERM", 15_000), 143, gateway.stderr);
    assert.equal(
      gateway.stderr.trim(),
      "kafclaw: stopped (SIGTERM) while starting the chat channels",
    );
  } finally {
    listener.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
  }
});
