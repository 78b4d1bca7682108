/**
 * Telegram's way in by webhook (the secret token checked before anything is handled) and the way
 * out when the Bot API is down (the answer kept, retried by the delivery worker with backoff,
 * then recorded as failed), through grammY against the fake Bot API.
 */
import assert from "node:assert/strict";
import { DeliveryWorker, systemClock } from "../../../core/scheduler/mod.ts";
import { resolveConfig } from "../../../core/config/mod.ts";
import { ChannelHost } from "../../../channels/mod.ts";
import { TelegramChannel } from "../../../channels/telegram/mod.ts";
import { startFakeTelegram } from "../../fakes/telegram_server.ts";
import { firstAttemptFailed, OWNER_ID, startTelegramRig } from "../../_support/telegram_rig.ts";
import { waitFor } from "../../_support/wait.ts";
import { postEndless } from "../../_support/endless_body.ts";

const SECRET = "webhook-secret-42";

function webhookRig() {
  return startTelegramRig({ fallback: "echo" }, {
    KAFCLAW_CHANNELS_TELEGRAM_MODE: "webhook",
    KAFCLAW_CHANNELS_TELEGRAM_WEBHOOK_SECRET: SECRET,
    KAFCLAW_CHANNELS_TELEGRAM_WEBHOOK_PORT: "0",
    KAFCLAW_CHANNELS_TELEGRAM_WEBHOOK_URL: "https://bot.example.com/telegram",
  });
}

function post(address: string, update: unknown, secret?: string) {
  return fetch(`http://${address}/telegram`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(secret === undefined ? {} : { "x-telegram-bot-api-secret-token": secret }),
    },
    body: JSON.stringify(update),
  });
}

const update = (id: number, text: string) => ({
  update_id: id,
  message: {
    message_id: id * 10,
    date: Math.floor(Date.now() / 1000),
    chat: { id: OWNER_ID, type: "private" },
    from: { id: OWNER_ID, is_bot: false, first_name: "Owner" },
    text,
  },
});

Deno.test("a webhook update with a wrong or missing secret is refused with 401 and not handled", async () => {
  await using rig = await webhookRig();
  assert.deepEqual(rig.telegram.webhook, {
    url: "https://bot.example.com/telegram",
    secret: SECRET,
  });
  const address = rig.host.status().telegram!.listening!;
  for (const secret of ["wrong", undefined]) {
    const refused = await post(address, update(1, "rm -rf everything"), secret);
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
  }
  assert.equal(rig.runtime.timeline.tasks.list().items.length, 0, "nothing recorded");
  assert.equal(rig.llm.chatRequests().length, 0, "no turn");

  const accepted = await post(address, update(2, "hello by webhook"), SECRET);
  assert.equal(accepted.status, 200);
  await accepted.body?.cancel();
  await waitFor(() => rig.telegram.sent.length === 1, "the answer");
  assert.equal(rig.telegram.sent[0]!.text, "echo: hello by webhook");
  // The same update posted again is answered once.
  const again = await post(address, update(2, "hello by webhook"), SECRET);
  await again.body?.cancel();
  await rig.host.stop();
  assert.equal(rig.telegram.sent.length, 1);
});

/** A clock an hour ahead: every retry of the worker is due at once. */
const later = { now: () => new Date(Date.now() + 3_600_000), sleep: systemClock.sleep };

Deno.test("with the Bot API down the answer is kept, retried with backoff, then recorded as failed", async () => {
  await using rig = await startTelegramRig({ chat: [{ text: "Saved for later." }] });
  rig.telegram.down.add("sendMessage");
  const sentAt = Date.now();
  rig.telegram.pushMessage(OWNER_ID, "are you there?");
  const task = () => rig.runtime.timeline.tasks.list().items[0];
  await waitFor(() => task()?.deliveryAttempts === 1, "the first failed attempt");
  assert.equal(task()!.deliveryStatus, "pending");
  assert.equal(task()!.contentOut, "Saved for later.");
  // The next attempt waits the delivery worker's backoff (30 s after the first failure).
  assert.ok(task()!.deliveryNextAt!.getTime() - sentAt >= 29_000);
  assert.match(rig.host.status().telegram!.lastError!, /sendMessage: 502 Bad Gateway/);
  assert.ok(!rig.host.status().telegram!.lastError!.includes(rig.telegram.token));

  const worker = new DeliveryWorker({
    store: rig.runtime.timeline,
    deliver: rig.host.deliver,
    clock: later,
    retry: { maxAttempts: 3, baseMs: 1, capMs: 1 },
  });
  assert.deepEqual(await worker.pass(), { sent: 0, skipped: 0, retrying: 1, failed: 0 });
  assert.equal(task()!.deliveryAttempts, 2);
  assert.deepEqual(await worker.pass(), { sent: 0, skipped: 0, retrying: 0, failed: 1 });
  assert.equal(task()!.deliveryStatus, "failed");
  assert.equal(task()!.contentOut, "Saved for later.", "the answer is not lost");
  const tries = rig.telegram.calls.filter((c) => c.method === "sendMessage");
  assert.equal(tries.length, 3);
  assert.ok(tries.every((c) => c.status === 502));
});

Deno.test("an answer that could not be sent reaches the chat when the Bot API is back", async () => {
  await using rig = await startTelegramRig({ chat: [{ text: "Better late than never." }] });
  const task = await firstAttemptFailed(rig, "hello?");
  const worker = new DeliveryWorker({
    store: rig.runtime.timeline,
    deliver: rig.host.deliver,
    clock: later,
  });
  assert.deepEqual(await worker.pass(), { sent: 1, skipped: 0, retrying: 0, failed: 0 });
  assert.equal(task()!.deliveryStatus, "sent");
  assert.deepEqual(rig.telegram.sent.map((s) => [s.chatId, s.text]), [
    [String(OWNER_ID), "Better late than never."],
  ]);
});

Deno.test("a scheduled run's result reaches the owner's chat once, and a failed send is retried", async () => {
  await using rig = await startTelegramRig({});
  const key = "cron:daily:2026-12-05T08:00:00.000Z";
  assert.equal(await rig.host.notifyOwners(key, "[daily] All quiet."), 1);
  assert.equal(await rig.host.notifyOwners(key, "[daily] All quiet."), 0, "once per run");
  assert.deepEqual(rig.telegram.sent.map((s) => [s.chatId, s.text]), [
    [String(OWNER_ID), "[daily] All quiet."],
  ]);
  rig.telegram.down.add("sendMessage");
  await rig.host.notifyOwners("cron:daily:2026-12-06T08:00:00.000Z", "[daily] Still quiet.");
  const task = rig.runtime.timeline.tasks.list().items[0]!;
  assert.equal(task.deliveryStatus, "pending");
  assert.equal(task.deliveryAttempts, 1);
  rig.telegram.down.delete("sendMessage");
  const worker = new DeliveryWorker({
    store: rig.runtime.timeline,
    deliver: rig.host.deliver,
    clock: later,
  });
  assert.equal((await worker.pass()).sent, 1);
  assert.equal(rig.telegram.sent.at(-1)?.text, "[daily] Still quiet.");
});

Deno.test("a long answer whose second piece failed is completed by the retry without repeating the first", async () => {
  const long = `${"First half. ".repeat(300)}\n\n${"Second half. ".repeat(200)}`;
  await using rig = await startTelegramRig({ chat: [{ text: long }] });
  let failures = 1;
  rig.telegram.refuse = (method, params) =>
    method === "sendMessage" && String(params.text).startsWith("Second half") && failures-- > 0;
  rig.telegram.pushMessage(OWNER_ID, "a long one, please");
  const task = () => rig.runtime.timeline.tasks.list().items[0];
  await waitFor(() => task()?.deliveryAttempts === 1, "the failed attempt");
  assert.equal(rig.telegram.sent.length, 1, "the first piece went out");
  const worker = new DeliveryWorker({
    store: rig.runtime.timeline,
    deliver: rig.host.deliver,
    clock: later,
  });
  assert.equal((await worker.pass()).sent, 1);
  const texts = rig.telegram.sent.map((s) => s.text);
  assert.equal(texts.length, 2);
  assert.ok(texts[0]!.startsWith("First half.") && texts[1]!.startsWith("Second half."));
});

Deno.test("a wrong bot token stops the start with a clear error that does not show the token", async () => {
  await using telegram = await startFakeTelegram();
  const home = await Deno.makeTempDir({ prefix: "kafclaw-telegram-token-" });
  try {
    const config = resolveConfig({ home, env: {} });
    const token = "999:WRONG-secret-token";
    const channel = new TelegramChannel({
      token,
      apiRoot: telegram.url,
      mode: "polling",
      workspace: home,
    });
    const host = new ChannelHost(config, [channel]);
    const never = () => Promise.reject(new Error("no turn expected"));
    const error = await host.start({
      door: { enter: never },
      timeline: { tasks: {} as never },
    }).then(() => undefined, (e: Error) => e);
    assert.ok(error, "the start fails");
    assert.match(error.message, /^Cannot start the telegram channel: .*401.*Unauthorized/);
    assert.ok(!error.message.includes(token));
    assert.match(channel.status().lastError!, /getMe: 401 Unauthorized/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("polling through a Bot API outage shows disconnected with the error, then catches up", async () => {
  await using rig = await startTelegramRig({ fallback: "echo" });
  rig.telegram.down.add("getUpdates");
  // The poll under way ends with the next update; the ones after it fail.
  rig.telegram.pushMessage(OWNER_ID, "before");
  await waitFor(() => rig.host.status().telegram!.connected === false, "disconnected");
  assert.equal(rig.host.status().telegram!.lastError, "getUpdates: 502 Bad Gateway");
  rig.telegram.pushMessage(OWNER_ID, "during");
  rig.telegram.down.delete("getUpdates");
  await waitFor(() => rig.telegram.sent.length === 2, "both answers", { timeoutMs: 15_000 });
  assert.deepEqual(rig.telegram.sent.map((s) => s.text), ["echo: before", "echo: during"]);
  assert.equal(rig.host.status().telegram!.connected, true);
});

Deno.test("a webhook body is bounded and must be JSON: 413 or 400 in one word, nothing handled", async () => {
  await using rig = await webhookRig();
  const address = rig.host.status().telegram!.listening!;
  const port = Number(address.split(":").at(-1));
  const endless = await postEndless(port, "/telegram", {
    Host: address,
    "X-Telegram-Bot-Api-Secret-Token": SECRET,
  });
  assert.equal(endless.status, 413);
  assert.ok(endless.sent < 32 * 1024 * 1024, `the listener read ${endless.sent} bytes first`);
  const malformed = await fetch(`http://${address}/telegram`, {
    method: "POST",
    headers: { "x-telegram-bot-api-secret-token": SECRET },
    body: '{"update_id": 1, "message": ',
  });
  assert.equal(malformed.status, 400);
  await malformed.body?.cancel();
  assert.equal(rig.host.status().telegram!.lastError, "webhook: an update that is not JSON");
  // Without the secret, nothing of the body is read or judged.
  const stranger = await postEndless(port, "/telegram", { Host: address });
  assert.equal(stranger.status, 401);
  assert.ok(stranger.sent < 32 * 1024 * 1024);
  assert.equal(rig.runtime.timeline.tasks.list().items.length, 0, "nothing recorded");
  assert.equal(rig.llm.chatRequests().length, 0, "no turn");
});

Deno.test("webhook mode refuses a secret short enough to guess, naming its length, not the secret", () => {
  for (const secret of ["x", "short-secret-15"]) {
    assert.throws(
      () =>
        new TelegramChannel({
          token: "123456:TEST-token",
          mode: "webhook",
          webhookSecret: secret,
          workspace: "/tmp",
        }),
      (error: Error) => {
        assert.equal(
          error.message,
          "Cannot run Telegram in webhook mode: channels.telegram.webhookSecret has " +
            `${secret.length} characters and needs at least 16: anyone who reaches the listener ` +
            "may try to guess it. Make one with: head -c 32 /dev/urandom | base64 | tr -d '/+='",
        );
        return true;
      },
    );
  }
  // Polling has no listener: its (unused) secret is not judged.
  new TelegramChannel({ token: "1:x", mode: "polling", webhookSecret: "x", workspace: "/tmp" });
});

Deno.test("a webhook port that is taken is one line naming the address, as WhatsApp says it", async () => {
  await using telegram = await startFakeTelegram();
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = taken.addr as Deno.NetAddr;
  const channel = new TelegramChannel({
    token: telegram.token,
    apiRoot: telegram.url,
    mode: "webhook",
    webhookSecret: SECRET.repeat(2),
    webhookPort: port,
    workspace: "/tmp",
  });
  const never = () => Promise.reject(new Error("no turn expected"));
  const error = await channel.start({ receive: never }).then(() => undefined, (e: Error) => e);
  await channel.stop();
  assert.equal(
    error?.message,
    `cannot listen on 127.0.0.1:${port} for the webhook: the port is in use`,
  );
});
