/**
 * Discord end to end, through discord.js against a real fake of Discord (REST API and gateway
 * websocket, tests/fakes/discord_server.ts): a DM in, the answer out (split at 2000, as a reply,
 * typing meanwhile); guild messages only when they mention the bot, answered in their thread;
 * pairing; one answer per message id also across a restart; the API down (kept, retried with
 * backoff, recorded failed); an approval answered from the owner's DMs; a refused token.
 */
import assert from "node:assert/strict";
import { OWNER_ID, startDiscordRig } from "../../_support/discord_rig.ts";
import { agentSettings, dueWorker, startChannelAgent } from "../../_support/channel_agent.ts";
import { resolveConfig } from "../../../core/config/mod.ts";
import { channelsFromConfig } from "../../../channels/mod.ts";
import { waitFor } from "../../_support/wait.ts";
import { kafclawInProcess } from "../../_support/cli_in_process.ts";
import { startFakeDiscord, TEXT_CHANNEL_ID, THREAD_ID } from "../../fakes/discord_server.ts";

const STRANGER = "800000000000000002";

Deno.test("a DM gets the agent's answer as a reply, split at 2000 without breaking code blocks", async () => {
  const code = Array.from({ length: 120 }, (_, i) => `console.log("line ${i}");`).join("\n");
  const long = `Here it is:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nDone.`;
  await using rig = await startDiscordRig({ chat: [{ text: long }] });
  const id = rig.discord.pushMessage(OWNER_ID, "write me a long script");
  await waitFor(() => rig.discord.sent.at(-1)?.content.endsWith("Done.") === true, "the answer");
  const pieces = rig.discord.sent;
  assert.ok(pieces.length >= 2, `split into ${pieces.length} pieces`);
  const dm = rig.discord.dmChannelOf(OWNER_ID);
  for (const piece of pieces) {
    assert.ok(piece.content.length <= 2000, `a piece of ${piece.content.length} characters`);
    assert.equal(piece.channelId, dm);
    assert.equal((piece.content.match(/```/g) ?? []).length % 2, 0, piece.content.slice(0, 80));
  }
  assert.equal(pieces[0]!.replyTo, id, "the first piece replies to the message");
  const joined = pieces.map((p) => p.content).join("\n").replace(/\n```\n```ts\n/g, "\n");
  assert.equal(joined.replace(/\s+/g, " "), long.replace(/\s+/g, " "));
  assert.ok(rig.discord.typing.includes(dm), "typing while it worked");
  assert.match(JSON.stringify(rig.llm.chatRequests()[0]!.body), /write me a long script/);
  const task = () => rig.runtime.timeline.tasks.list().items[0];
  await waitFor(() => task()?.deliveryStatus === "sent", "the answer recorded as sent");
  assert.equal(task()?.messageType, "internal");
  assert.equal(rig.host.status().discord!.connected, true);
  // Guilds, GuildMessages, DirectMessages, MessageContent: no other (privileged) intent.
  assert.deepEqual(rig.discord.intents, [(1 << 0) | (1 << 9) | (1 << 12) | (1 << 15)]);
  // An answer never pings anyone (@everyone, roles, users) whatever the model wrote.
  assert.ok(rig.discord.allowedMentions.every((a) => JSON.stringify(a) === '{"parse":[]}'));
});

Deno.test("a dropped gateway shows as not connected until discord.js resumes it", async () => {
  await using rig = await startDiscordRig({ fallback: "echo" });
  rig.discord.gatewayDown = true;
  rig.discord.drop(4000);
  await waitFor(() => rig.host.status().discord!.connected === false, "shown as not connected");
  rig.discord.gatewayDown = false;
  await waitFor(() => rig.host.status().discord!.connected, "connected again", {
    timeoutMs: 20_000,
    state: () => rig.host.status(),
  });
  rig.discord.pushMessage(OWNER_ID, "still there?");
  await waitFor(() => rig.discord.sent.length === 1, "the answer after the resume");
  assert.equal(rig.discord.sent[0]!.content, "echo: still there?");
});

Deno.test("in a guild only a mention is answered, in the thread it was written in", async () => {
  await using rig = await startDiscordRig({ fallback: "echo" }, {
    KAFCLAW_CHANNELS_DISCORD_DM_POLICY: "open",
  });
  rig.discord.pushMessage(STRANGER, "talking among ourselves", { channelId: TEXT_CHANNEL_ID });
  const asked = rig.discord.pushMessage(STRANGER, "what time is it?", {
    channelId: THREAD_ID,
    mention: true,
  });
  await waitFor(() => rig.discord.sent.length === 1, "the mention's answer");
  assert.deepEqual(rig.discord.sent[0], {
    channelId: THREAD_ID,
    content: "echo: what time is it?",
    replyTo: asked,
  });
  assert.equal(rig.llm.chatRequests().length, 1, "no turn for the message without a mention");
  const tasks = rig.runtime.timeline.tasks.list().items;
  assert.equal(tasks.length, 1);
  assert.equal(tasks[0]!.chatId, `channel/${THREAD_ID}`);
  assert.equal(tasks[0]!.messageType, "external");
});

Deno.test("an unknown sender gets a pairing code, is approved with the CLI, then answered", async () => {
  await using rig = await startDiscordRig({ chat: [{ text: "Hello, new friend." }] });
  rig.discord.pushMessage(STRANGER, "hi there");
  await waitFor(() => rig.discord.sent.length === 1, "the pairing code");
  const code = /pairing code is ([A-Z0-9]{8})/.exec(rig.discord.sent[0]!.content)?.[1];
  assert.ok(code, rig.discord.sent[0]!.content);
  assert.equal(rig.discord.sent[0]!.channelId, rig.discord.dmChannelOf(STRANGER));
  assert.equal(rig.llm.chatRequests().length, 0, "no turn for a stranger");
  const approved = await kafclawInProcess(rig.env, "pairing", "approve", "discord", code);
  assert.equal(approved.code, 0, approved.stderr);
  assert.match(approved.stdout, new RegExp(`Paired discord:${STRANGER}`));
  rig.discord.pushMessage(STRANGER, "hi again");
  await waitFor(() => rig.discord.sent.length === 2, "the answer");
  assert.equal(rig.discord.sent[1]!.content, "Hello, new friend.");
  const task = rig.runtime.timeline.tasks.list().items[0]!;
  assert.equal(task.messageType, "external", "a paired stranger is still external");
});

Deno.test("a message id seen before is answered once, also after a restart", async () => {
  await using rig = await startDiscordRig({ chat: [{ text: "Once." }], fallback: "echo" });
  const id = rig.discord.pushMessage(OWNER_ID, "say it once");
  await waitFor(() => rig.discord.sent.length === 1, "the answer");
  rig.discord.pushMessage(OWNER_ID, "say it once", { id });
  await rig.restart();
  await waitFor(() => rig.discord.connected() === 1, "the new gateway connection");
  rig.discord.pushMessage(OWNER_ID, "say it once", { id });
  rig.discord.pushMessage(OWNER_ID, "a new one");
  await waitFor(() => rig.discord.sent.length === 2, "the new message's answer", {
    state: () => rig.discord.sent,
  });
  assert.deepEqual(rig.discord.sent.map((s) => s.content), ["Once.", "echo: a new one"]);
  assert.equal(rig.llm.chatRequests().length, 2);
});

Deno.test("with the REST API down the answer is kept, retried with backoff, then recorded as failed", async () => {
  await using rig = await startDiscordRig({ chat: [{ text: "Saved for later." }] });
  rig.discord.down.add("POST /channels");
  const sentAt = Date.now();
  rig.discord.pushMessage(OWNER_ID, "are you there?");
  const task = () => rig.runtime.timeline.tasks.list().items[0];
  await waitFor(() => task()?.deliveryAttempts === 1, "the first failed attempt");
  assert.equal(task()!.deliveryStatus, "pending");
  assert.equal(task()!.contentOut, "Saved for later.");
  assert.ok(task()!.deliveryNextAt!.getTime() - sentAt >= 29_000, "the worker's backoff");
  const status = rig.host.status().discord!;
  assert.match(status.lastError!, /send: .*502/);
  assert.ok(!status.lastError!.includes(rig.discord.token));

  const worker = dueWorker(rig, { maxAttempts: 3, baseMs: 1, capMs: 1 });
  assert.deepEqual(await worker.pass(), { sent: 0, skipped: 0, retrying: 1, failed: 0 });
  assert.deepEqual(await worker.pass(), { sent: 0, skipped: 0, retrying: 0, failed: 1 });
  assert.equal(task()!.deliveryStatus, "failed");
  assert.equal(task()!.contentOut, "Saved for later.", "the answer is not lost");
  const tries = rig.discord.calls.filter((c) => c.route.endsWith("/messages"));
  assert.equal(tries.length, 3, "one call per attempt");
  assert.ok(tries.every((c) => c.status === 502));
  assert.equal(rig.discord.sent.length, 0);
});

Deno.test("a long answer whose second piece failed is completed by the retry without repeating the first", async () => {
  const long = `${"First half. ".repeat(150)}\n\n${"Second half. ".repeat(100)}`;
  await using rig = await startDiscordRig({ chat: [{ text: long }] });
  let failures = 1;
  rig.discord.refuse = (content) => content.startsWith("Second half") && failures-- > 0;
  rig.discord.pushMessage(OWNER_ID, "a long one, please");
  const task = () => rig.runtime.timeline.tasks.list().items[0];
  await waitFor(() => task()?.deliveryAttempts === 1, "the failed attempt");
  assert.equal(rig.discord.sent.length, 1, "the first piece went out");
  assert.equal((await dueWorker(rig).pass()).sent, 1);
  const texts = rig.discord.sent.map((s) => s.content);
  assert.equal(texts.length, 2);
  assert.ok(texts[0]!.startsWith("First half.") && texts[1]!.startsWith("Second half."));
});

Deno.test("the owner approves a stranger's pending tool call from Discord", async () => {
  const write = {
    toolCalls: [{
      id: "w1",
      name: "write_file",
      arguments: { path: "from-discord.txt", content: "hello\n" },
    }],
  };
  await using rig = await startDiscordRig({ chat: [write, { text: "Written." }] }, {
    KAFCLAW_CHANNELS_DISCORD_DM_POLICY: "open",
  });
  rig.discord.pushMessage(STRANGER, "please write a file", {
    channelId: TEXT_CHANNEL_ID,
    mention: true,
  });
  const notice = () => rig.discord.sent.find((s) => s.content.startsWith("Approval needed"));
  await waitFor(() => notice() !== undefined, "the approval request");
  assert.equal(notice()!.channelId, rig.discord.dmChannelOf(OWNER_ID), "to the owner's DMs");
  const id = /Approval needed (\S+):/.exec(notice()!.content)![1]!;
  rig.discord.pushMessage(STRANGER, `approve ${id}`, { channelId: TEXT_CHANNEL_ID, mention: true });
  await waitFor(
    () =>
      rig.discord.sent.some((s) => s.content === "Only the owner can answer approval requests."),
    "the stranger's refusal",
  );
  rig.discord.pushMessage(OWNER_ID, `approve ${id}`);
  await waitFor(() => rig.discord.sent.some((s) => s.content === "Written."), "the turn ends");
  assert.ok(rig.discord.sent.some((s) => s.content === `Approved ${id} (write_file)`));
  assert.equal(
    await Deno.readTextFile(`${rig.runtime.sandbox.workspace}/from-discord.txt`),
    "hello\n",
  );
  assert.equal(rig.runtime.timeline.approvals.get(id)?.responder, `discord:${OWNER_ID}`);
  assert.equal(
    rig.discord.sent.find((s) => s.content === "Written.")!.channelId,
    TEXT_CHANNEL_ID,
    "the stranger's answer in the guild channel",
  );
});

Deno.test("a token Discord refuses, or an intent it does not allow, stops the start in one line", async () => {
  await using discord = await startFakeDiscord();
  const home = await Deno.makeTempDir({ prefix: "kafclaw-discord-" });
  try {
    const env = {
      ...agentSettings(home, "http://127.0.0.1:9/v1", `discord:${OWNER_ID}`),
      KAFCLAW_CHANNELS_DISCORD_ENABLED: "true",
      KAFCLAW_CHANNELS_DISCORD_TOKEN: "wrong-secret-token",
      KAFCLAW_CHANNELS_DISCORD_API_BASE: `${discord.url}/api/v10`,
    };
    const config = resolveConfig({ home, env });
    const error = await startChannelAgent(config).then(() => undefined, (e: Error) => e);
    assert.ok(error, "the start fails");
    assert.match(
      error.message,
      /^Cannot start the discord channel: An invalid token was provided\.$/,
    );
    assert.ok(!error.message.includes("wrong-secret-token"), error.message);
    assert.ok(!error.message.includes("\n"), error.message);
    assert.equal(discord.connected(), 0);
    // The right token, but the application has not switched the Message Content intent on.
    discord.messageContentAllowed = false;
    const rightToken = resolveConfig({
      home,
      env: { ...env, KAFCLAW_CHANNELS_DISCORD_TOKEN: discord.token },
    });
    const refused = await startChannelAgent(rightToken).then(() => undefined, (e: Error) => e);
    assert.equal(
      refused?.message,
      "Cannot start the discord channel: Discord refused the Message Content intent: switch on " +
        "Message Content Intent on the application's Bot page in the Developer Portal",
    );
    const noToken = resolveConfig({
      home,
      env: { KAFCLAW_HOME: home, KAFCLAW_CHANNELS_DISCORD_ENABLED: "true" },
    });
    await assert.rejects(channelsFromConfig(noToken), /without channels\.discord\.token/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("an attachment is saved into the workspace, audio transcribed; a URL off Discord's CDN is not fetched", async () => {
  await using rig = await startDiscordRig({ fallback: "echo" });
  const csv = new TextEncoder().encode("a,b\n1,2\n");
  const id = rig.discord.pushMessage(OWNER_ID, "sum this", {
    attachments: [{ name: "../../data.csv", bytes: csv, contentType: "text/csv" }],
  });
  await waitFor(() => rig.discord.sent.length === 1, "the file's answer");
  const saved = /saved in the workspace: (\S+)\]/.exec(rig.discord.sent[0]!.content)?.[1];
  // The sender's "../../data.csv" stays a name inside the inbox folder.
  assert.equal(saved, `inbox/discord/${id}-.._.._data.csv`);
  assert.deepEqual(await Deno.readFile(`${rig.runtime.sandbox.workspace}/${saved}`), csv);
  assert.match(rig.discord.sent[0]!.content, /^echo: sum this\n/);

  const voice = new TextEncoder().encode("FAKE-AUDIO voice=alloy format=ogg\nbuy oat milk");
  rig.discord.pushMessage(OWNER_ID, "", {
    attachments: [{ name: "voice-message.ogg", bytes: voice, contentType: "audio/ogg" }],
  });
  await waitFor(() => rig.discord.sent.length === 2, "the voice message's answer");
  assert.equal(rig.discord.sent[1]!.content, "echo: [voice note] buy oat milk");

  rig.discord.pushMessage(OWNER_ID, "look", {
    attachments: [{
      name: "x.txt",
      bytes: csv,
      contentType: "text/plain",
      url: "http://169.254.169.254/latest/meta-data",
    }],
  });
  await waitFor(() => rig.discord.sent.length === 3, "the refused file's answer");
  assert.equal(
    rig.discord.sent[2]!.content,
    "echo: look\n[an attachment that could not be read: the attachment is not on Discord's CDN]",
  );
});
