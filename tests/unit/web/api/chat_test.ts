/**
 * Chat through the API against the fake LLM: one turn through the door, answered as JSON or
 * streamed over SSE, in the session `api:<name>`; the sessions it leaves can be listed, read and
 * deleted.
 */
import assert from "node:assert/strict";
import { apiOf, assertSnakeCase, sseEvents } from "../../../_support/api.ts";

Deno.test("a chat is one turn through the door, answered when it ends", async () => {
  await using api = await apiOf({}, { answer: { text: "Hello from the model" } });
  const answer = await api.json("/api/v1/chat", { body: { message: "hi there" } });
  assert.equal(answer.kind, "turn");
  assert.equal(answer.content, "Hello from the model");
  assert.equal(answer.session, "api:default");
  assert.equal(answer.stopped, "answer");
  assert.ok(answer.usage.completion_tokens > 0);
  const sent = api.llm.chatRequests()[0]!.body as { messages: { role: string; content: string }[] };
  assert.equal(sent.messages.at(-1)!.content.includes("hi there"), true);
});

Deno.test("a streamed chat sends the text as it comes, then done", async () => {
  await using api = await apiOf({}, {
    answer: { text: "one two three", chunks: ["one ", "two ", "three"] },
  });
  const response = await api.call("/api/v1/chat/stream", {
    body: { message: "count", session: "counting" },
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/);
  const events = sseEvents(await response.text());
  const deltas = events.filter((e) => e.event === "text").map((e) =>
    (e.data as { delta: string }).delta
  );
  assert.equal(deltas.join(""), "one two three");
  assert.ok(deltas.length >= 2, "in pieces");
  const done = events.at(-1)!;
  assert.equal(done.event, "done");
  assert.deepEqual(
    { ...(done.data as object), usage: undefined },
    {
      kind: "turn",
      content: "one two three",
      session: "api:counting",
      stopped: "answer",
      usage: undefined,
    },
  );
});

Deno.test("a chat with a bad body is a 400 naming the field, and reaches no model", async () => {
  await using api = await apiOf();
  for (
    const [body, field] of [
      [{}, '"message"'],
      [{ message: "" }, '"message"'],
      [{ message: "hi", session: "../etc" }, '"session"'],
      [{ message: 3 }, '"message"'],
    ] as const
  ) {
    for (const path of ["/api/v1/chat", "/api/v1/chat/stream"]) {
      const { error } = await api.json(path, { body }, 400);
      assert.ok(error.message.includes(`body field ${field}`), error.message);
    }
  }
  assert.equal(api.llm.chatRequests().length, 0);
});

Deno.test("sessions are listed, read whole and deleted", async () => {
  await using api = await apiOf({}, { answer: { text: "noted" } });
  await api.json("/api/v1/chat", { body: { message: "remember me", session: "notes" } });
  const { items } = await api.json("/api/v1/sessions");
  assert.deepEqual(items.map((s: { key: string }) => s.key), ["api:notes"]);
  assert.ok(Date.parse(items[0].updated_at) >= Date.parse(items[0].created_at), items[0]);
  assertSnakeCase(items, "the sessions");
  const read = await api.json("/api/v1/sessions/api:notes");
  assert.deepEqual(
    read.lines.map((
      l: { message: { role: string; content: string } },
    ) => [l.message.role, l.message.content]),
    [["user", "remember me"], ["assistant", "noted"]],
  );
  assert.deepEqual(await api.json("/api/v1/sessions/api:notes", { method: "DELETE" }), {
    deleted: "api:notes",
  });
  const gone = await api.json("/api/v1/sessions/api:notes", {}, 404);
  assert.equal(gone.error.message, "No session api:notes");
  await api.json("/api/v1/sessions/api:notes", { method: "DELETE" }, 404);
  assert.deepEqual((await api.json("/api/v1/sessions")).items, []);
});

Deno.test("a model that fails is a 502 naming it, without the provider's text", async () => {
  await using api = await apiOf({}, {
    answer: { status: 401, message: "invalid key sk-test-very-secret" },
  });
  const { error } = await api.json("/api/v1/chat", { body: { message: "hi" } }, 502);
  assert.equal(error.code, "llm_failed");
  assert.match(error.message, /^The model openai\/gpt-test failed \(auth, HTTP 401\)$/);
  const response = await api.call("/api/v1/chat/stream", { body: { message: "hi" } });
  const events = sseEvents(await response.text());
  assert.deepEqual(events.at(-1), { event: "error", data: error });
  assert.equal(JSON.stringify(events).includes("secret"), false);
});

Deno.test("a session in a turn is not deleted under it", async () => {
  await using api = await apiOf();
  const leases = api.gateway.runtime.timeline.sessionLeases;
  await api.json("/api/v1/chat", { body: { message: "hi", session: "busy" } });
  assert.ok(leases.take("api:busy", { owner: "elsewhere", until: new Date(Date.now() + 60_000) }));
  const refused = await api.json("/api/v1/sessions/api:busy", { method: "DELETE" }, 409);
  assert.equal(refused.error.code, "busy");
  assert.equal((await api.json("/api/v1/sessions")).items.length, 1);
  leases.release("api:busy", "elsewhere");
  await api.json("/api/v1/sessions/api:busy", { method: "DELETE" });
});
