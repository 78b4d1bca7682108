/**
 * WhatsApp's way out when it does not go well, against the fake Graph API: the API down (the
 * answer kept, retried by the delivery worker with backoff, then recorded as failed), a chat whose
 * 24-hour customer-service window has closed (failed at once, the reason on the task), Meta's
 * report of a failed message, and the access token kept from hosts that are not Meta's.
 */
import assert from "node:assert/strict";
import { GraphClient, GraphError, WhatsAppChannel } from "../../../channels/whatsapp/mod.ts";
import { ChannelHost } from "../../../channels/mod.ts";
import { resolveConfig } from "../../../core/config/mod.ts";
import { OWNER, startWhatsAppRig } from "../../_support/whatsapp_rig.ts";
import {
  GRAPH_VERSION,
  notification,
  PHONE_NUMBER_ID,
  startFakeWhatsApp,
} from "../../fakes/whatsapp_server.ts";
import { waitFor } from "../../_support/wait.ts";
import { dueWorker } from "../../_support/channel_agent.ts";

Deno.test("with the Graph API down the answer is kept, retried with backoff, then recorded as failed", async () => {
  await using rig = await startWhatsAppRig({ chat: [{ text: "Saved for later." }] });
  rig.whatsapp.down = true;
  const sentAt = Date.now();
  await rig.send(OWNER, "are you there?");
  const task = () => rig.runtime.timeline.tasks.list().items[0];
  await waitFor(() => task()?.deliveryAttempts === 1, "the first failed attempt");
  assert.equal(task()!.deliveryStatus, "pending");
  assert.equal(task()!.contentOut, "Saved for later.");
  // The next attempt waits the delivery worker's backoff (30 s after the first failure).
  assert.ok(task()!.deliveryNextAt!.getTime() - sentAt >= 29_000);
  const lastError = rig.host.status().whatsapp!.lastError!;
  assert.match(lastError, /^send: HTTP 502/);
  assert.ok(!lastError.includes(rig.whatsapp.accessToken));

  const worker = dueWorker(rig, { maxAttempts: 3, baseMs: 1, capMs: 1 });
  assert.deepEqual(await worker.pass(), { sent: 0, skipped: 0, retrying: 1, failed: 0 });
  assert.equal(task()!.deliveryAttempts, 2);
  assert.deepEqual(await worker.pass(), { sent: 0, skipped: 0, retrying: 0, failed: 1 });
  assert.equal(task()!.deliveryStatus, "failed");
  assert.equal(task()!.contentOut, "Saved for later.", "the answer is not lost");
  const tries = rig.whatsapp.calls.filter((c) => c.path.endsWith("/messages") && !c.body?.status);
  assert.deepEqual(tries.map((c) => c.status), [502, 502, 502]);
});

Deno.test("an answer that could not be sent reaches the chat when the Graph API is back", async () => {
  await using rig = await startWhatsAppRig({ chat: [{ text: "Better late than never." }] });
  rig.whatsapp.down = true;
  await rig.send(OWNER, "hello?");
  const task = () => rig.runtime.timeline.tasks.list().items[0];
  await waitFor(() => task()?.deliveryAttempts === 1, "the first failed attempt");
  rig.whatsapp.down = false;
  const worker = dueWorker(rig);
  assert.deepEqual(await worker.pass(), { sent: 1, skipped: 0, retrying: 0, failed: 0 });
  assert.equal(task()!.deliveryStatus, "sent");
  assert.deepEqual(rig.whatsapp.sent.map((s) => [s.to, s.text]), [
    [OWNER, "Better late than never."],
  ]);
  // The delivery worker's retry carries no reply: the text arrives on its own.
  assert.equal(rig.whatsapp.sent[0]!.replyTo, undefined);
});

Deno.test("outside the 24-hour window an answer fails at once, recorded with the reason, and is not retried", async () => {
  await using rig = await startWhatsAppRig({ chat: [{ text: "Too late." }] });
  rig.whatsapp.outsideWindow.add(OWNER);
  await rig.send(OWNER, "an old question");
  const task = () => rig.runtime.timeline.tasks.list().items[0];
  await waitFor(() => task()?.deliveryStatus === "failed", "the delivery failed");
  assert.equal(task()!.deliveryAttempts, 1);
  assert.equal(task()!.deliveryNextAt, undefined, "no retry is planned");
  assert.equal(task()!.contentOut, "Too late.", "the answer is kept");
  assert.match(task()!.errorText!, /^delivery: outside WhatsApp's 24-hour customer-service window/);
  assert.match(task()!.errorText!, /only a message template can reach them/);
  assert.match(task()!.errorText!, /#131047/);
  assert.match(rig.host.status().whatsapp!.lastError!, /24-hour customer-service window/);
  const worker = dueWorker(rig);
  assert.deepEqual(await worker.pass(), { sent: 0, skipped: 0, retrying: 0, failed: 0 });
  const tries = rig.whatsapp.calls.filter((c) => c.path.endsWith("/messages") && !c.body?.status);
  assert.equal(tries.length, 1, "one attempt only");
});

Deno.test("a retry that meets a closed window fails at once, the delivery worker's attempts left unused", async () => {
  await using rig = await startWhatsAppRig({ chat: [{ text: "Hold on." }] });
  rig.whatsapp.down = true;
  await rig.send(OWNER, "quick question");
  const task = () => rig.runtime.timeline.tasks.list().items[0];
  await waitFor(() => task()?.deliveryAttempts === 1, "the first failed attempt");
  rig.whatsapp.down = false;
  rig.whatsapp.outsideWindow.add(OWNER);
  const worker = dueWorker(rig, { maxAttempts: 5, baseMs: 1, capMs: 1 });
  assert.deepEqual(await worker.pass(), { sent: 0, skipped: 0, retrying: 0, failed: 1 });
  assert.equal(task()!.deliveryStatus, "failed");
  assert.equal(task()!.deliveryAttempts, 2);
  assert.match(task()!.errorText!, /24-hour customer-service window/);
});

/** Meta's status notification that the message `id` to `to` failed with `code`. */
function failedStatus(id: string, to: string, code: number, title: string) {
  return notification([], [{
    id,
    status: "failed",
    timestamp: "1700000000",
    recipient_id: to,
    errors: [{ code, title }],
  }]);
}

Deno.test("an answer Meta took and later reports failed for the closed window is recorded as failed", async () => {
  await using rig = await startWhatsAppRig({ chat: [{ text: "Taken, then lost." }] });
  await rig.send(OWNER, "hello");
  const task = () => rig.runtime.timeline.tasks.list().items[0];
  await waitFor(() => task()?.deliveryStatus === "sent", "the answer taken");
  const sent = rig.whatsapp.sent[0]!;
  const response = await rig.whatsapp.deliver(
    rig.webhook,
    failedStatus(sent.id, OWNER, 131047, "Re-engagement message"),
  );
  assert.equal(response.status, 200);
  await response.body?.cancel();
  assert.equal(task()!.deliveryStatus, "failed");
  assert.match(task()!.errorText!, /^delivery: outside WhatsApp's 24-hour customer-service window/);
  assert.equal(task()!.contentOut, "Taken, then lost.", "the answer is kept");
  assert.equal(
    rig.host.status().whatsapp!.lastError,
    `status: message ${sent.id} to ${OWNER} failed: (#131047) Re-engagement message`,
  );
  // A status of a message this gateway did not send is the last error only.
  const unknown = await rig.whatsapp.deliver(
    rig.webhook,
    failedStatus("wamid.other", OWNER, 131026, "Message undeliverable"),
  );
  await unknown.body?.cancel();
  assert.match(rig.host.status().whatsapp!.lastError!, /wamid\.other .*\(#131026\)/);
  assert.equal(rig.runtime.timeline.tasks.list().items.length, 1, "a status is not a message");
});

Deno.test("the access token goes only to the Graph API and Meta's media hosts", async () => {
  await using graph = await startFakeWhatsApp();
  const seen: (string | null)[] = [];
  await using elsewhere = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (r) => {
      seen.push(r.headers.get("authorization"));
      return new Response("stolen");
    },
  );
  const client = new GraphClient({
    apiBase: graph.url,
    apiVersion: GRAPH_VERSION,
    phoneNumberId: PHONE_NUMBER_ID,
    accessToken: graph.accessToken,
  });
  const id = graph.addMedia(new Uint8Array([1, 2, 3]), "image/png");
  assert.deepEqual(await client.media(id), { bytes: new Uint8Array([1, 2, 3]), mime: "image/png" });
  graph.mediaOrigin = `http://127.0.0.1:${elsewhere.addr.port}`;
  const refused = await client.media(id).then(() => undefined, (e: Error) => e);
  assert.ok(refused instanceof GraphError);
  assert.match(refused.message, /not on a Meta host; the token is not sent there/);
  assert.deepEqual(seen, [], "nothing was fetched from the other host");

  const wrong = new GraphClient({
    apiBase: graph.url,
    apiVersion: GRAPH_VERSION,
    phoneNumberId: PHONE_NUMBER_ID,
    accessToken: "EAAG-wrong-token",
  });
  const denied = await wrong.sendText(OWNER, "hi").then(() => undefined, (e: Error) => e);
  assert.match(denied!.message, /^401 \(#190\) Invalid OAuth access token/);
  assert.ok(!denied!.message.includes("EAAG-wrong-token"));
});

Deno.test("a wrong access token stops the start with a clear error that does not show the token", async () => {
  await using graph = await startFakeWhatsApp();
  const home = await Deno.makeTempDir({ prefix: "kafclaw-whatsapp-token-" });
  try {
    const token = "EAAG-WRONG-secret-token";
    const channel = new WhatsAppChannel({
      phoneNumberId: PHONE_NUMBER_ID,
      accessToken: token,
      appSecret: "s",
      verifyToken: "v",
      apiBase: graph.url,
      webhookPort: 0,
      workspace: home,
    });
    const host = new ChannelHost(resolveConfig({ home, env: {} }), [channel]);
    const error = await host.start({
      door: { enter: () => Promise.reject(new Error("no turn expected")) },
      timeline: { tasks: {} as never },
    }).then(() => undefined, (e: Error) => e);
    assert.match(
      error?.message ?? "",
      /^Cannot start the whatsapp channel: 401 \(#190\) Invalid OAuth access token/,
    );
    assert.ok(!error!.message.includes(token));
    assert.match(channel.status().lastError!, /^phone number: 401 \(#190\)/);
    assert.equal(channel.webhookAddress, undefined, "no listener was started");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a webhook port in use stops the start in one line", async () => {
  await using graph = await startFakeWhatsApp();
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const channel = new WhatsAppChannel({
    phoneNumberId: PHONE_NUMBER_ID,
    accessToken: graph.accessToken,
    appSecret: "s",
    verifyToken: "v",
    apiBase: graph.url,
    webhookPort: taken.addr.port,
    workspace: "/nonexistent",
  });
  const error = await channel.start({ receive: () => Promise.resolve() })
    .then(() => undefined, (e: Error) => e);
  assert.equal(
    error?.message,
    `cannot listen on 127.0.0.1:${taken.addr.port} for the webhook: the port is in use`,
  );
});
