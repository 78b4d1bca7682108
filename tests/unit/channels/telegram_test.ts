/**
 * Telegram end to end, through grammY against a real HTTP fake of the Bot API: messages in,
 * answers out (split where long, replying, typing meanwhile), pairing, one answer per message also
 * across a restart, an approval answered from the owner's chat, voice notes and files.
 */
import assert from "node:assert/strict";
import { OWNER_ID, startTelegramRig } from "../../_support/telegram_rig.ts";
import { settles, waitFor } from "../../_support/wait.ts";
import { kafclawInProcess } from "../../_support/cli_in_process.ts";

const STRANGER = 2002;

Deno.test("the owner's message gets the agent's answer, split at 4096 without breaking code blocks", async () => {
  const code = Array.from({ length: 150 }, (_, i) => `console.log("line ${i}");`).join("\n");
  const long = `Here it is:\n\n\`\`\`ts\n${code}\n${code}\n\`\`\`\n\nDone.`;
  await using rig = await startTelegramRig({ chat: [{ text: long }] });
  const update = rig.telegram.pushMessage(OWNER_ID, "write me a long script");
  await waitFor(() => rig.telegram.sent.at(-1)?.text.endsWith("Done.") === true, "the answer");
  const pieces = rig.telegram.sent;
  assert.ok(pieces.length >= 2, `split into ${pieces.length} pieces`);
  for (const piece of pieces) {
    assert.ok(piece.text.length <= 4096, `a piece of ${piece.text.length} characters`);
    assert.equal(piece.chatId, String(OWNER_ID));
    // Every piece opens and closes its own code block.
    assert.equal((piece.text.match(/```/g) ?? []).length % 2, 0, piece.text.slice(0, 80));
    assert.equal(piece.parseMode, "Markdown");
  }
  const joined = pieces.map((p) => p.text).join("\n").replace(/\n```\n```ts\n/g, "\n");
  assert.equal(joined.replace(/\s+/g, " "), long.replace(/\s+/g, " "));
  const message = update.message as { message_id: number };
  assert.equal(pieces[0]!.replyTo, message.message_id);
  assert.ok(rig.telegram.actions.some((a) => a.action === "typing"), "typing while it worked");
  const user = JSON.stringify(rig.llm.chatRequests()[0]!.body);
  assert.match(user, /write me a long script/);
  // The answer is recorded as sent once its last piece is acknowledged, a moment after it arrived.
  const task = () => rig.runtime.timeline.tasks.list().items[0];
  await waitFor(() => task()?.deliveryStatus === "sent", "the answer recorded as sent", {
    state: () => task(),
  });
  assert.equal(task()?.messageType, "internal");
});

Deno.test("an unknown sender gets a pairing code, is approved with the CLI, then answered", async () => {
  await using rig = await startTelegramRig({ chat: [{ text: "Hello, new friend." }] });
  rig.telegram.pushMessage(STRANGER, "hi there");
  await waitFor(() => rig.telegram.sent.length === 1, "the pairing code");
  const code = /pairing code is ([A-Z0-9]{8})/.exec(rig.telegram.sent[0]!.text)?.[1];
  assert.ok(code, rig.telegram.sent[0]!.text);
  assert.equal(rig.llm.chatRequests().length, 0, "no turn for a stranger");
  const mode = (await Deno.stat(`${rig.home}/channels/pairing.json`)).mode! & 0o777;
  assert.equal(mode, 0o600);
  // Writing again gets no second code, nor any other reply.
  rig.telegram.pushMessage(STRANGER, "hello??");
  await waitFor(() => rig.telegram.unconfirmed() === 0, "the second message is read");

  const listed = await kafclawInProcess(rig.env, "pairing", "list");
  assert.match(listed.stdout, new RegExp(`telegram  ${code}  from ${STRANGER}`));
  const wrong = await kafclawInProcess(rig.env, "pairing", "approve", "telegram", "ZZZZZZZZ");
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /No pairing code "ZZZZZZZZ" is waiting on telegram/);
  const approved = await kafclawInProcess(rig.env, "pairing", "approve", "telegram", code);
  assert.equal(approved.code, 0, approved.stderr);
  assert.match(approved.stdout, new RegExp(`Paired telegram:${STRANGER}`));

  rig.telegram.pushMessage(STRANGER, "hi again");
  await waitFor(() => rig.telegram.sent.length === 2, "the answer");
  assert.equal(rig.telegram.sent[1]!.text, "Hello, new friend.");
  const task = rig.runtime.timeline.tasks.list().items[0]!;
  assert.equal(task.messageType, "external", "a paired stranger is still external");
});

Deno.test("under allowlist a stranger is ignored and nothing is stored", async () => {
  await using rig = await startTelegramRig({ chat: [{ text: "ok" }] }, {
    KAFCLAW_CHANNELS_TELEGRAM_DM_POLICY: "allowlist",
  });
  rig.telegram.pushMessage(STRANGER, "let me in");
  rig.telegram.pushMessage(OWNER_ID, "ping");
  await waitFor(() => rig.telegram.sent.length === 1, "the owner's answer");
  assert.equal(rig.telegram.sent[0]!.chatId, String(OWNER_ID));
  assert.equal(rig.runtime.timeline.tasks.list().items.length, 1);
});

Deno.test("a redelivered update is answered once, also after a restart", async () => {
  await using rig = await startTelegramRig({ chat: [{ text: "Once." }], fallback: "echo" });
  const update = rig.telegram.pushMessage(OWNER_ID, "say it once");
  await waitFor(() => rig.telegram.sent.length === 1, "the answer");
  // The same message again within the run (a new update id, the same message).
  rig.telegram.pushUpdate({ ...update, update_id: 900 });
  await waitFor(() => rig.telegram.unconfirmed() === 0, "the duplicate is read");
  await rig.restart();
  // The bot's confirmations are lost: Telegram sends everything again to the new process.
  rig.telegram.redeliver();
  await waitFor(() => rig.telegram.unconfirmed() === 0, "the redelivery is read");
  rig.telegram.pushMessage(OWNER_ID, "a new one");
  await waitFor(() => rig.telegram.sent.length === 2, "the new message's answer", {
    timeoutMs: 8000,
    state: () => ({ calls: rig.telegram.calls.slice(-8), status: rig.host.status() }),
  });
  assert.deepEqual(rig.telegram.sent.map((s) => s.text), ["Once.", "echo: a new one"]);
  assert.equal(rig.llm.chatRequests().length, 2);
});

Deno.test("the owner approves a stranger's pending tool call from Telegram", async () => {
  const write = {
    toolCalls: [{
      id: "w1",
      name: "write_file",
      arguments: { path: "from-telegram.txt", content: "hello\n" },
    }],
  };
  await using rig = await startTelegramRig({ chat: [write, { text: "Written." }] }, {
    KAFCLAW_CHANNELS_TELEGRAM_DM_POLICY: "open",
  });
  rig.telegram.pushMessage(STRANGER, "please write a file");
  const notice = () => rig.telegram.sent.find((s) => s.text.startsWith("Approval needed"));
  await waitFor(() => notice() !== undefined, "the approval request");
  assert.equal(notice()!.chatId, String(OWNER_ID), "the request goes to the owner only");
  const id = /Approval needed (\S+):/.exec(notice()!.text)![1]!;
  // The stranger cannot approve it.
  rig.telegram.pushMessage(STRANGER, `approve ${id}`);
  await waitFor(
    () => rig.telegram.sent.some((s) => s.text === "Only the owner can answer approval requests."),
    "the stranger's refusal",
  );
  rig.telegram.pushMessage(OWNER_ID, `approve ${id}`);
  await waitFor(() => rig.telegram.sent.some((s) => s.text === "Written."), "the turn ends");
  assert.ok(rig.telegram.sent.some((s) => s.text === `Approved ${id} (write_file)`));
  assert.equal(
    await Deno.readTextFile(`${rig.runtime.sandbox.workspace}/from-telegram.txt`),
    "hello\n",
  );
  assert.equal(rig.runtime.timeline.approvals.get(id)?.responder, `telegram:${OWNER_ID}`);
});

Deno.test("a voice note is transcribed and a document saved into the workspace", async () => {
  await using rig = await startTelegramRig({ fallback: "echo" });
  const voice = rig.telegram.addFile(
    new TextEncoder().encode("FAKE-AUDIO voice=alloy format=ogg\nbuy oat milk"),
    "voice/file_1.oga",
  );
  rig.telegram.pushMessage(OWNER_ID, "", { voice: { fileId: voice } });
  await waitFor(() => rig.telegram.sent.length === 1, "the voice note's answer");
  assert.equal(rig.telegram.sent[0]!.text, "echo: [voice note] buy oat milk");
  const doc = rig.telegram.addFile(new TextEncoder().encode("a,b\n1,2\n"), "documents/file_2.csv");
  const update = rig.telegram.pushMessage(OWNER_ID, "", {
    document: { fileId: doc, name: "../../data.csv" },
    caption: "sum this",
  });
  await waitFor(() => rig.telegram.sent.length === 2, "the document's answer");
  const id = (update.message as { message_id: number }).message_id;
  const saved = /saved in the workspace: (\S+)\]/.exec(rig.telegram.sent[1]!.text)?.[1];
  // The sender's "../../data.csv" stays a name inside the inbox folder.
  assert.equal(saved, `inbox/telegram/${id}-.._.._data.csv`);
  assert.equal(
    await Deno.readTextFile(`${rig.runtime.sandbox.workspace}/${saved}`),
    "a,b\n1,2\n",
  );
  assert.match(rig.telegram.sent[1]!.text, /^echo: sum this\n/);
});

Deno.test("the message tool reaches a person's Telegram chat by its session", async () => {
  const tell = {
    toolCalls: [{
      id: "m1",
      name: "message",
      arguments: { session: `telegram:${STRANGER}`, text: "Your parcel arrived." },
    }],
  };
  await using rig = await startTelegramRig({ chat: [tell, { text: "Told them." }] });
  rig.telegram.pushMessage(OWNER_ID, `tell ${STRANGER} the parcel arrived`);
  await waitFor(() => rig.telegram.sent.some((s) => s.text === "Told them."), "the answer");
  assert.deepEqual(
    rig.telegram.sent.map((s) => [s.chatId, s.text]),
    [[String(STRANGER), "Your parcel arrived."], [String(OWNER_ID), "Told them."]],
  );
  // It went to the person, not into a turn of the agent in that session.
  assert.equal(rig.llm.chatRequests().length, 2);
});

Deno.test("the owner answers an approval their own message asked for, in the same chat", async () => {
  const write = {
    toolCalls: [{ id: "w2", name: "write_file", arguments: { path: "own.txt", content: "x\n" } }],
  };
  // With maxAutoTier 0 even the owner's writes wait for an approval.
  await using rig = await startTelegramRig({ chat: [write, { text: "Done." }] }, {
    KAFCLAW_POLICY_MAX_AUTO_TIER: "0",
  });
  rig.telegram.pushMessage(OWNER_ID, "write own.txt");
  const notice = () => rig.telegram.sent.find((s) => s.text.startsWith("Approval needed"));
  await waitFor(() => notice() !== undefined, "the approval request");
  const id = /Approval needed (\S+):/.exec(notice()!.text)![1]!;
  // The chat's turn waits for this answer: it must not queue behind that turn.
  rig.telegram.pushMessage(OWNER_ID, `approve ${id}`);
  await waitFor(() => rig.telegram.sent.some((s) => s.text === "Done."), "the turn ends", {
    timeoutMs: 10_000,
  });
  assert.equal(await Deno.readTextFile(`${rig.runtime.sandbox.workspace}/own.txt`), "x\n");
});

Deno.test("an answer Telegram cannot read as Markdown goes out as plain text; a photo is saved", async () => {
  await using rig = await startTelegramRig({
    chat: [{ text: "Use my_var here." }],
    fallback: "echo",
  });
  rig.telegram.pushMessage(OWNER_ID, "name a variable");
  await waitFor(() => rig.telegram.sent.length === 1, "the answer");
  assert.deepEqual(rig.telegram.sent[0], {
    chatId: String(OWNER_ID),
    text: "Use my_var here.",
    parseMode: undefined,
    replyTo: rig.telegram.sent[0]!.replyTo,
  });
  const refused = rig.telegram.calls.filter((c) => c.method === "sendMessage" && c.status === 400);
  assert.equal(refused.length, 1, "tried as Markdown first");

  const photo = rig.telegram.addFile(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), "photos/p.jpg");
  const update = rig.telegram.pushMessage(OWNER_ID, "", { photo: { fileId: photo } });
  const id = (update.message as { message_id: number }).message_id;
  const saved = `${rig.runtime.sandbox.workspace}/inbox/telegram/${id}-photo.jpg`;
  await waitFor(() => rig.telegram.sent.length === 2, "the photo's answer");
  assert.match(
    rig.telegram.sent[1]!.text,
    /saved in the workspace: inbox\/telegram\/\d+-photo\.jpg/,
  );
  assert.deepEqual(await Deno.readFile(saved), new Uint8Array([0xff, 0xd8, 0xff, 0xd9]));
});

Deno.test("stopping the channels does not wait for a turn that waits for an approval", async () => {
  const write = {
    toolCalls: [{ id: "w3", name: "write_file", arguments: { path: "x.txt", content: "x" } }],
  };
  await using rig = await startTelegramRig({ chat: [write] }, {
    KAFCLAW_CHANNELS_TELEGRAM_DM_POLICY: "open",
  });
  rig.telegram.pushMessage(STRANGER, "write x");
  await waitFor(
    () => rig.telegram.sent.some((s) => s.text.startsWith("Approval needed")),
    "the approval request",
  );
  // The approval waits 5 minutes by default; the stop takes its grace and returns.
  await settles(rig.host.stop(50), "the channels' stop", 10_000);
  assert.equal(rig.host.status().telegram!.connected, false);
});

Deno.test("a file over the 20 MB download limit is refused as it streams in, not read whole first", async () => {
  await using rig = await startTelegramRig({ fallback: "echo" });
  const size = 64 * 1024 * 1024;
  const big = rig.telegram.addFile(new Uint8Array(size), "documents/file_big.bin");
  rig.telegram.pushMessage(OWNER_ID, "", { document: { fileId: big, name: "big.bin" } });
  await waitFor(() => rig.telegram.sent.length === 1, "the document's answer");
  assert.match(rig.telegram.sent[0]!.text, /a file that could not be saved: .*20 MB/);
  assert.ok(
    rig.telegram.fileBytesServed < 40 * 1024 * 1024,
    `the channel read ${rig.telegram.fileBytesServed} of ${size} bytes`,
  );
});
