/**
 * A person no retry can reach is not retried for hours: Telegram's 403 (the bot blocked, the user
 * deactivated), Discord's 50007 (Cannot send messages to this user) and WhatsApp's 131026 (not a
 * WhatsApp user), each answered by its real HTTP fake and met through the real client (grammY,
 * discord.js, the Graph API client), fail the delivery at once: the answer kept on its task, the
 * reason in the timeline and in `kafclaw channels status`, no attempt after it.
 */
import assert from "node:assert/strict";
import type { Task } from "../../../core/timeline/mod.ts";
import { dueWorker } from "../../_support/channel_agent.ts";
import { OWNER_ID as DISCORD_OWNER, startDiscordRig } from "../../_support/discord_rig.ts";
import {
  firstAttemptFailed,
  OWNER_ID as TELEGRAM_OWNER,
  startTelegramRig,
} from "../../_support/telegram_rig.ts";
import { OWNER as WHATSAPP_OWNER, startWhatsAppRig } from "../../_support/whatsapp_rig.ts";
import { notification } from "../../fakes/whatsapp_server.ts";
import { kafclawInProcess } from "../../_support/cli_in_process.ts";
import { waitFor } from "../../_support/wait.ts";

/** Asserts that `task` failed its delivery on its one attempt, for `reason`, keeping `answer`. */
function failedAtOnce(task: Task | undefined, answer: string, reason: RegExp): void {
  assert.ok(task);
  assert.equal(task.deliveryStatus, "failed");
  assert.equal(task.deliveryAttempts, 1);
  assert.equal(task.deliveryNextAt, undefined, "no retry is planned");
  assert.equal(task.contentOut, answer, "the answer is kept");
  assert.match(task.errorText!, reason);
}

Deno.test("a Telegram user who blocked the bot: the answer fails at once, with the reason, never retried", async () => {
  await using rig = await startTelegramRig({ chat: [{ text: "You will not see this." }] });
  rig.telegram.forbidden.set(String(TELEGRAM_OWNER), "bot was blocked by the user");
  rig.telegram.pushMessage(TELEGRAM_OWNER, "hello, then I block you");
  const task = () => rig.runtime.timeline.tasks.list().items[0];
  await waitFor(() => task()?.deliveryStatus === "failed", "the delivery failed", {
    state: task,
  });
  failedAtOnce(
    task(),
    "You will not see this.",
    /^delivery: Telegram will not deliver to this chat/,
  );
  assert.match(task()!.errorText!, /\[403 Forbidden: bot was blocked by the user\]$/);
  assert.deepEqual(await dueWorker(rig).pass(), { sent: 0, skipped: 0, retrying: 0, failed: 0 });
  // The Markdown attempt only: a refusal is not tried again as plain text.
  assert.equal(rig.telegram.calls.filter((c) => c.method === "sendMessage").length, 1);

  await rig.host.writeStatus();
  const status = await kafclawInProcess(rig.env, "channels", "status");
  assert.match(
    status.stdout,
    /^telegram {2}connected {2}dmPolicy pairing {2}last error .*: sendMessage: 403 Forbidden: bot was blocked by the user$/m,
  );
});

Deno.test("a Telegram retry that meets a deactivated user fails at once, the worker's attempts left unused", async () => {
  await using rig = await startTelegramRig({ chat: [{ text: "Hold on." }] });
  const task = await firstAttemptFailed(rig, "quick question");
  assert.equal(task()!.deliveryStatus, "pending", "a 502 is retried");
  rig.telegram.forbidden.set(String(TELEGRAM_OWNER), "user is deactivated");
  const worker = dueWorker(rig, { maxAttempts: 5, baseMs: 1, capMs: 1 });
  assert.deepEqual(await worker.pass(), { sent: 0, skipped: 0, retrying: 0, failed: 1 });
  assert.equal(task()!.deliveryStatus, "failed");
  assert.equal(task()!.deliveryAttempts, 2);
  assert.match(
    task()!.errorText!,
    /Telegram will not deliver .*\[403 Forbidden: user is deactivated\]/,
  );
  assert.deepEqual(await worker.pass(), { sent: 0, skipped: 0, retrying: 0, failed: 0 });
});

Deno.test("a Discord user whose DMs refuse the bot (50007): the answer fails at once, never retried", async () => {
  await using rig = await startDiscordRig({ chat: [{ text: "Nobody reads this." }] });
  rig.discord.closedDms.add(DISCORD_OWNER);
  rig.discord.pushMessage(DISCORD_OWNER, "hello, with my DMs closed");
  const task = () => rig.runtime.timeline.tasks.list().items[0];
  await waitFor(() => task()?.deliveryStatus === "failed", "the delivery failed", {
    state: task,
  });
  failedAtOnce(task(), "Nobody reads this.", /^delivery: Discord will not deliver to this user/);
  assert.match(task()!.errorText!, /\[403 Cannot send messages to this user\]$/);
  assert.match(rig.host.status().discord!.lastError!, /^send: 403 Cannot send messages/);
  assert.deepEqual(await dueWorker(rig).pass(), { sent: 0, skipped: 0, retrying: 0, failed: 0 });
  const tries = rig.discord.calls.filter((c) => c.route.endsWith("/messages"));
  assert.deepEqual(tries.map((c) => c.status), [403]);
  assert.equal(rig.discord.sent.length, 0);
});

Deno.test("a number without WhatsApp (131026): the answer fails at once, never retried", async () => {
  await using rig = await startWhatsAppRig({ chat: [{ text: "Lost in the void." }] });
  rig.whatsapp.notOnWhatsApp.add(WHATSAPP_OWNER);
  await rig.send(WHATSAPP_OWNER, "hello from a number Meta cannot reach back");
  const task = () => rig.runtime.timeline.tasks.list().items[0];
  await waitFor(() => task()?.deliveryStatus === "failed", "the delivery failed", {
    state: task,
  });
  failedAtOnce(task(), "Lost in the void.", /^delivery: WhatsApp cannot deliver to this number/);
  assert.match(task()!.errorText!, /#131026/);
  assert.match(rig.host.status().whatsapp!.lastError!, /^send: WhatsApp cannot deliver/);
  assert.deepEqual(await dueWorker(rig).pass(), { sent: 0, skipped: 0, retrying: 0, failed: 0 });
  const tries = rig.whatsapp.calls.filter((c) => c.path.endsWith("/messages") && !c.body?.status);
  assert.deepEqual(tries.map((c) => c.status), [400]);
});

Deno.test("an answer Meta took and later reports undeliverable (131026) is failed with the same reason", async () => {
  await using rig = await startWhatsAppRig({ chat: [{ text: "Taken, then lost." }] });
  await rig.send(WHATSAPP_OWNER, "hello");
  const task = () => rig.runtime.timeline.tasks.list().items[0];
  await waitFor(() => task()?.deliveryStatus === "sent", "the answer taken");
  const failed = notification([], [{
    id: rig.whatsapp.sent[0]!.id,
    status: "failed",
    timestamp: "1700000000",
    recipient_id: WHATSAPP_OWNER,
    errors: [{ code: 131026, title: "Message undeliverable" }],
  }]);
  const response = await rig.whatsapp.deliver(rig.webhook, failed);
  assert.equal(response.status, 200);
  await response.body?.cancel();
  assert.equal(task()!.deliveryStatus, "failed");
  assert.equal(
    task()!.errorText,
    "delivery: WhatsApp cannot deliver to this number: it has no WhatsApp account, has not " +
      "accepted " +
      "WhatsApp's current terms, or runs a version too old for business messages " +
      "[(#131026) Message undeliverable]",
  );
  assert.equal(task()!.contentOut, "Taken, then lost.", "the answer is kept");
});
