/**
 * WhatsApp end to end through the webhook route, against a real HTTP fake of the Graph API and
 * Meta's signed webhook calls: messages in, answers out (split where long, replying, marked read
 * with the typing indicator meanwhile), pairing approved with the CLI, one answer per message id,
 * an approval answered from the owner's chat, voice notes and files.
 */
import assert from "node:assert/strict";
import { OWNER, startWhatsAppRig } from "../../_support/whatsapp_rig.ts";
import { mediaMessage, notification, textMessage } from "../../fakes/whatsapp_server.ts";
import { waitFor } from "../../_support/wait.ts";
import { postEndless } from "../../_support/endless_body.ts";
import { kafclawInProcess } from "../../_support/cli_in_process.ts";

const STRANGER = "15559870002";

Deno.test("the owner's WhatsApp message gets the agent's answer, split at 4096 and replying to it", async () => {
  const long = `${"Part one of the answer. ".repeat(200)}\n\n${
    "Part two follows here. ".repeat(100)
  }`;
  await using rig = await startWhatsAppRig({ chat: [{ text: long }] });
  const message = await rig.send(OWNER, "tell me a long story");
  await waitFor(() => rig.whatsapp.sent.length === 2, "both pieces");
  const pieces = rig.whatsapp.sent;
  for (const piece of pieces) {
    assert.ok(piece.text.length <= 4096, `a piece of ${piece.text.length} characters`);
    assert.equal(piece.to, OWNER);
  }
  assert.equal(
    pieces.map((p) => p.text).join(" ").replace(/\s+/g, " "),
    long.replace(/\s+/g, " ").trim(),
  );
  assert.equal(pieces[0]!.replyTo, message.id, "the first piece replies to the message");
  assert.equal(pieces[1]!.replyTo, undefined);
  assert.deepEqual(rig.whatsapp.typing, [message.id], "marked read with the typing indicator");
  assert.match(JSON.stringify(rig.llm.chatRequests()[0]!.body), /tell me a long story/);
  const [task] = rig.runtime.timeline.tasks.list().items;
  assert.equal(task?.messageType, "internal");
  assert.equal(task?.deliveryStatus, "sent");
});

Deno.test("a notification with a wrong or missing signature is refused with 401 and nothing is handled", async () => {
  await using rig = await startWhatsAppRig({ fallback: "echo" });
  const body = (text: string) => notification([textMessage(OWNER, text)]);
  const wrong = await rig.whatsapp.deliver(rig.webhook, body("forged"), "not-the-app-secret");
  assert.equal(wrong.status, 401);
  await wrong.body?.cancel();
  const missing = await fetch(rig.webhook, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body("unsigned")),
  });
  assert.equal(missing.status, 401);
  await missing.body?.cancel();
  // A signature of another body: the body was changed on the way.
  const signed = await rig.whatsapp.deliver(`${rig.webhook}`, body("genuine"));
  await signed.body?.cancel();
  const tampered = await fetch(rig.webhook, {
    method: "POST",
    headers: { "x-hub-signature-256": "sha256=" + "0".repeat(64) },
    body: JSON.stringify(body("tampered")),
  });
  assert.equal(tampered.status, 401);
  await tampered.body?.cancel();
  await waitFor(() => rig.whatsapp.sent.length === 1, "the genuine message's answer");
  await rig.host.stop();
  assert.deepEqual(rig.whatsapp.sent.map((s) => s.text), ["echo: genuine"]);
  assert.equal(rig.runtime.timeline.tasks.list().items.length, 1, "only the genuine one recorded");
  assert.equal(rig.llm.chatRequests().length, 1);
});

Deno.test("the verification handshake echoes the challenge for the right token only; the listener serves nothing else", async () => {
  await using rig = await startWhatsAppRig({});
  const check = (query: string) => fetch(`${rig.webhook}?${query}`);
  const right = await check(
    "hub.mode=subscribe&hub.verify_token=fake-verify-token-4567&hub.challenge=1158201444",
  );
  assert.equal(right.status, 200);
  assert.equal(await right.text(), "1158201444");
  for (
    const query of [
      "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
      "hub.mode=subscribe&hub.challenge=1",
      "hub.mode=unsubscribe&hub.verify_token=fake-verify-token-4567&hub.challenge=1",
    ]
  ) {
    const refused = await check(query);
    assert.equal(refused.status, 403, query);
    assert.ok(!(await refused.text()).includes("1"), "no challenge echoed");
  }
  const origin = new URL(rig.webhook).origin;
  for (const path of ["/", "/api/v1/status", "/healthz", "/whatsapp", "/whatsapp/webhook/x"]) {
    const other = await fetch(`${origin}${path}`);
    assert.equal(other.status, 404, path);
    await other.body?.cancel();
  }
  const put = await fetch(rig.webhook, { method: "PUT", body: "{}" });
  assert.equal(put.status, 405);
  await put.body?.cancel();
});

Deno.test("an unknown WhatsApp sender gets a pairing code, is approved with the CLI, then answered", async () => {
  await using rig = await startWhatsAppRig({ chat: [{ text: "Hello, new friend." }] });
  await rig.send(STRANGER, "hi there");
  await waitFor(() => rig.whatsapp.sent.length === 1, "the pairing code");
  const code = /pairing code is ([A-Z0-9]{8})/.exec(rig.whatsapp.sent[0]!.text)?.[1];
  assert.ok(code, rig.whatsapp.sent[0]!.text);
  assert.match(rig.whatsapp.sent[0]!.text, new RegExp(`pairing approve whatsapp ${code}`));
  assert.equal(rig.llm.chatRequests().length, 0, "no turn for a stranger");

  const listed = await kafclawInProcess(rig.env, "pairing", "list");
  assert.match(listed.stdout, new RegExp(`whatsapp  ${code}  from ${STRANGER}`));
  const approved = await kafclawInProcess(rig.env, "pairing", "approve", "whatsapp", code);
  assert.equal(approved.code, 0, approved.stderr);

  await rig.send(STRANGER, "hi again");
  await waitFor(() => rig.whatsapp.sent.length === 2, "the answer");
  assert.deepEqual(rig.whatsapp.sent[1], {
    ...rig.whatsapp.sent[1]!,
    to: STRANGER,
    text: "Hello, new friend.",
  });
  const task = rig.runtime.timeline.tasks.list().items[0]!;
  assert.equal(task.messageType, "external", "a paired stranger is still external");
});

Deno.test("a message id Meta notifies twice, also at once and after a restart, is answered once", async () => {
  await using rig = await startWhatsAppRig({ chat: [{ text: "Once." }], fallback: "echo" });
  const message = textMessage(OWNER, "say it once");
  await Promise.all([rig.notify(message), rig.notify(message)]);
  await waitFor(() => rig.whatsapp.sent.length === 1, "the answer");
  await rig.notify(message);
  // Meta retries a notification it thinks failed, also to a gateway that restarted meanwhile.
  await rig.restart();
  await rig.notify(message);
  await rig.send(OWNER, "a new one");
  await waitFor(() => rig.whatsapp.sent.length === 2, "the new message's answer");
  assert.deepEqual(rig.whatsapp.sent.map((s) => s.text), ["Once.", "echo: a new one"]);
  assert.equal(rig.llm.chatRequests().length, 2);
});

Deno.test("the owner approves a stranger's pending tool call from WhatsApp", async () => {
  const write = {
    toolCalls: [{
      id: "w1",
      name: "write_file",
      arguments: { path: "from-whatsapp.txt", content: "hello\n" },
    }],
  };
  await using rig = await startWhatsAppRig({ chat: [write, { text: "Written." }] }, {
    KAFCLAW_CHANNELS_WHATSAPP_DM_POLICY: "open",
  });
  await rig.send(STRANGER, "please write a file");
  const notice = () => rig.whatsapp.sent.find((s) => s.text.startsWith("Approval needed"));
  await waitFor(() => notice() !== undefined, "the approval request");
  assert.equal(notice()!.to, OWNER, "the request goes to the owner only");
  const id = /Approval needed (\S+):/.exec(notice()!.text)![1]!;
  await rig.send(STRANGER, `approve ${id}`);
  await waitFor(
    () => rig.whatsapp.sent.some((s) => s.text === "Only the owner can answer approval requests."),
    "the stranger's refusal",
  );
  await rig.send(OWNER, `approve ${id}`);
  await waitFor(() => rig.whatsapp.sent.some((s) => s.text === "Written."), "the turn ends");
  assert.equal(
    await Deno.readTextFile(`${rig.runtime.sandbox.workspace}/from-whatsapp.txt`),
    "hello\n",
  );
  assert.equal(rig.runtime.timeline.approvals.get(id)?.responder, `whatsapp:${OWNER}`);
});

Deno.test("a voice note is downloaded and transcribed; an image and a document are saved into the workspace", async () => {
  await using rig = await startWhatsAppRig({ fallback: "echo" });
  const voice = rig.whatsapp.addMedia(
    new TextEncoder().encode("FAKE-AUDIO voice=alloy format=ogg\nbuy oat milk"),
    "audio/ogg; codecs=opus",
  );
  await rig.notify(mediaMessage(OWNER, "audio", { id: voice, mime: "audio/ogg; codecs=opus" }));
  await waitFor(() => rig.whatsapp.sent.length === 1, "the voice note's answer");
  assert.equal(rig.whatsapp.sent[0]!.text, "echo: [voice note] buy oat milk");

  const doc = rig.whatsapp.addMedia(new TextEncoder().encode("a,b\n1,2\n"), "text/csv");
  await rig.notify(mediaMessage(OWNER, "document", {
    id: doc,
    mime: "text/csv",
    filename: "../../data.csv",
    caption: "sum this",
  }));
  await waitFor(() => rig.whatsapp.sent.length === 2, "the document's answer");
  const saved = /saved in the workspace: (\S+)\]/.exec(rig.whatsapp.sent[1]!.text)?.[1];
  assert.match(
    saved ?? "",
    /^inbox\/whatsapp\/\d+-.._.._data\.csv$/,
    "kept inside the inbox folder",
  );
  assert.equal(await Deno.readTextFile(`${rig.runtime.sandbox.workspace}/${saved}`), "a,b\n1,2\n");
  assert.match(rig.whatsapp.sent[1]!.text, /^echo: sum this\n/);

  const image = rig.whatsapp.addMedia(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), "image/jpeg");
  await rig.notify(mediaMessage(OWNER, "image", { id: image, mime: "image/jpeg" }));
  await waitFor(() => rig.whatsapp.sent.length === 3, "the image's answer");
  const photo = /saved in the workspace: (\S+)\]/.exec(rig.whatsapp.sent[2]!.text)?.[1];
  assert.match(photo ?? "", /^inbox\/whatsapp\/\d+-image\.jpg$/);
  const path = `${rig.runtime.sandbox.workspace}/${photo}`;
  assert.deepEqual(await Deno.readFile(path), new Uint8Array([0xff, 0xd8, 0xff, 0xd9]));
  assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
});

Deno.test("messages for another phone number of the business account are not handled", async () => {
  await using rig = await startWhatsAppRig({ fallback: "echo" });
  const other = await rig.whatsapp.deliver(
    rig.webhook,
    notification([textMessage(OWNER, "for the other number")], [], "999000999"),
  );
  assert.equal(other.status, 200);
  await other.body?.cancel();
  await rig.send(OWNER, "for us");
  await waitFor(() => rig.whatsapp.sent.length === 1, "our answer");
  await rig.host.stop();
  assert.deepEqual(rig.whatsapp.sent.map((s) => s.text), ["echo: for us"]);
});

Deno.test("a scheduled run's result and the message tool reach WhatsApp chats", async () => {
  const tell = {
    toolCalls: [{
      id: "m1",
      name: "message",
      arguments: { session: `whatsapp:${STRANGER}`, text: "Your parcel arrived." },
    }],
  };
  await using rig = await startWhatsAppRig({ chat: [tell, { text: "Told them." }] });
  assert.equal(await rig.host.notifyOwners("cron:daily:2026-12-05T08:00:00.000Z", "[daily] ok"), 1);
  await rig.send(OWNER, `tell ${STRANGER} the parcel arrived`);
  await waitFor(() => rig.whatsapp.sent.some((s) => s.text === "Told them."), "the answer");
  assert.deepEqual(rig.whatsapp.sent.map((s) => [s.to, s.text]), [
    [OWNER, "[daily] ok"],
    [STRANGER, "Your parcel arrived."],
    [OWNER, "Told them."],
  ]);
});

Deno.test("a notification body sent without end is cut at 1 MiB and refused, before the client stops", async () => {
  await using rig = await startWhatsAppRig({ fallback: "echo" });
  const url = new URL(rig.webhook);
  // Unsigned, so the body is read before anything says it is not Meta's: it must be bounded.
  const endless = await postEndless(Number(url.port), url.pathname, {
    Host: url.host,
    "X-Hub-Signature-256": `sha256=${"0".repeat(64)}`,
  });
  assert.equal(endless.status, 413);
  assert.ok(endless.sent < 32 * 1024 * 1024, `the listener read ${endless.sent} bytes first`);
  assert.equal(rig.runtime.timeline.tasks.list().items.length, 0);
});

Deno.test("a medium over 25 MB whose size Meta does not give is refused as it streams in", async () => {
  await using rig = await startWhatsAppRig({ fallback: "echo" });
  rig.whatsapp.mediaSizeKnown = false;
  const size = 64 * 1024 * 1024;
  const big = rig.whatsapp.addMedia(new Uint8Array(size), "application/pdf");
  await rig.notify(mediaMessage(OWNER, "document", { id: big, mime: "application/pdf" }));
  await waitFor(() => rig.whatsapp.sent.length === 1, "the document's answer");
  assert.match(rig.whatsapp.sent[0]!.text, /a file that could not be saved: .*25 MB/);
  assert.ok(
    rig.whatsapp.mediaBytesServed < 40 * 1024 * 1024,
    `the channel read ${rig.whatsapp.mediaBytesServed} of ${size} bytes`,
  );
});
