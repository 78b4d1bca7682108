/**
 * `/api/v1/timeline` through the API app (`app.request`, no socket) on a real timeline: filters
 * and paging, a bad query as a 400 naming the parameter, the token required, and the live
 * stream: an event stored after it opened arrives as an SSE event, filtered, and a reconnect
 * with `Last-Event-ID` gets what it missed, once.
 */
import assert from "node:assert/strict";
import { apiApp, hostNames, parseSse } from "./_timeline_support.ts";
import { tempTimeline } from "../core/timeline/_helpers.ts";
import { settles } from "../../_support/wait.ts";
import type { GatewayStatus } from "../../../web/mod.ts";

const TOKEN = "timeline-api-test-token-0123456789abcdef";
const HOST = "127.0.0.1:18790";
const auth = { host: HOST, authorization: `Bearer ${TOKEN}` };

function appOf(events: Parameters<typeof apiApp>[0]["events"]) {
  return apiApp({
    token: TOKEN,
    hosts: hostNames("127.0.0.1", 18790),
    status: () => ({}) as GatewayStatus,
    ...(events ? { events } : {}),
    stream: { pollMs: 10, keepAliveMs: 60_000 },
  });
}

Deno.test("the timeline lists newest first, by kind, session, channel and trace, a page at a time", async () => {
  await using t = await tempTimeline();
  const events = t.timeline.events;
  const root = events.record({
    kind: "INBOUND",
    sessionKey: "cli:a",
    channel: "cli",
    contentText: "hi",
  });
  events.record({ kind: "LLM", traceId: root.traceId, sessionKey: "cli:a", contentText: "think" });
  events.record({
    kind: "INBOUND",
    sessionKey: "telegram:1",
    channel: "telegram",
    contentText: "yo",
  });
  const app = appOf(events);
  const get = async (query: string) => {
    const response = await app.request(`http://${HOST}/api/v1/timeline${query}`, { headers: auth });
    assert.equal(response.status, 200, query);
    return await response.json();
  };
  const all = await get("");
  assert.deepEqual(all.items.map((e: { content_text: string }) => e.content_text), [
    "yo",
    "think",
    "hi",
  ]);
  assert.equal(all.next, null);
  assert.ok(all.kinds.includes("TOOL") && all.kinds.includes("APPROVAL"));
  assert.equal(all.items[2].trace_id, root.traceId);
  assert.equal(all.items[2].started_at, root.startedAt.toISOString());
  const texts = async (q: string) =>
    (await get(q)).items.map((e: { content_text: string }) => e.content_text);
  assert.deepEqual(await texts("?kind=INBOUND"), ["yo", "hi"]);
  assert.deepEqual(await texts("?session=cli:a"), ["think", "hi"]);
  assert.deepEqual(await texts("?channel=telegram"), ["yo"]);
  assert.deepEqual(await texts(`?trace=${root.traceId}`), ["think", "hi"]);
  const first = await get("?limit=2");
  assert.equal(first.items.length, 2);
  assert.equal(typeof first.next, "number");
  assert.deepEqual(await texts(`?limit=2&before=${first.next}`), ["hi"]);
});

Deno.test("a bad timeline query is a 400 naming the parameter; without the token a 401", async () => {
  await using t = await tempTimeline();
  const app = appOf(t.timeline.events);
  for (
    const [query, named] of [
      ["?kind=NOPE", 'Invalid query parameter "kind"'],
      ["?limit=0", 'Invalid query parameter "limit"'],
      ["?limit=abc", 'Invalid query parameter "limit"'],
      ["?before=-3", 'Invalid query parameter "before"'],
      ["?trace=xyz", 'Invalid query parameter "trace"'],
      ["?colour=red", 'Invalid query parameter "colour": Unrecognized key'],
    ]
  ) {
    const response = await app.request(`http://${HOST}/api/v1/timeline${query}`, { headers: auth });
    assert.equal(response.status, 400, query);
    const body = await response.json();
    assert.equal(body.error.code, "bad_request");
    assert.ok(body.error.message.startsWith(named), `${query}: ${body.error.message}`);
  }
  const stream = await app.request(`http://${HOST}/api/v1/timeline/stream?after=x`, {
    headers: auth,
  });
  assert.equal(stream.status, 400);
  const anonymous = await app.request(`http://${HOST}/api/v1/timeline`, {
    headers: { host: HOST },
  });
  assert.equal(anonymous.status, 401);
  const none = await appOf(undefined).request(`http://${HOST}/api/v1/timeline`, { headers: auth });
  assert.equal(none.status, 404);
});

/** Reads SSE events from `body` until `enough` says so. */
async function readUntil(
  body: ReadableStream<Uint8Array>,
  enough: (events: { id?: string; event: string; data: string }[]) => boolean,
) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const seen: { id?: string; event: string; data: string }[] = [];
  let buffer = "";
  const deadline = Date.now() + 10_000;
  while (!enough(seen)) {
    if (Date.now() > deadline) {
      throw new Error(`no such events in 10 s; saw ${JSON.stringify(seen)}`);
    }
    const { value, done } = await reader.read();
    if (done) break;
    const parsed = parseSse(buffer + value);
    buffer = parsed.rest;
    seen.push(...parsed.events);
  }
  await reader.cancel();
  return seen;
}

Deno.test("the stream sends each event stored after it opened, filtered, and resumes after an id", async () => {
  await using t = await tempTimeline();
  const events = t.timeline.events;
  events.record({ kind: "SYSTEM", contentText: "before the stream" });
  const app = appOf(events);
  const abort = new AbortController();
  const response = await app.request(`http://${HOST}/api/v1/timeline/stream?kind=TOOL`, {
    headers: auth,
    signal: abort.signal,
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
  const reading = readUntil(response.body!, (seen) => seen.length >= 2);
  events.record({ kind: "LLM", contentText: "filtered out" });
  const one = events.record({ kind: "TOOL", contentText: "exec ls" });
  const two = events.record({ kind: "TOOL", contentText: "read_file" });
  const seen = await reading;
  abort.abort();
  assert.deepEqual(seen.map((e) => e.event), ["timeline", "timeline"]);
  assert.deepEqual(seen.map((e) => e.id), [String(one.id), String(two.id)]);
  assert.deepEqual(seen.map((e) => JSON.parse(e.data).content_text), ["exec ls", "read_file"]);

  const missed = events.record({ kind: "TOOL", contentText: "while away" });
  const again = await app.request(`http://${HOST}/api/v1/timeline/stream?kind=TOOL`, {
    headers: { ...auth, "last-event-id": String(two.id) },
  });
  const resumed = await readUntil(again.body!, (s) => s.length >= 1);
  assert.deepEqual(resumed.map((e) => e.id), [String(missed.id)]);
});

Deno.test("a stream opens with its cursor as an id, so a reader that drops it before any event misses nothing", async () => {
  await using t = await tempTimeline();
  const events = t.timeline.events;
  const before = events.record({ kind: "TOOL", contentText: "before the stream" });
  const app = appOf(events);
  const response = await app.request(`http://${HOST}/api/v1/timeline/stream`, { headers: auth });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const opening = parseSse((await reader.read()).value!);
  await reader.cancel();
  // The opening block sets the id and is no event (a browser's EventSource treats it alike).
  assert.deepEqual(opening.events, []);
  assert.equal(opening.lastId, String(before.id));
  const whileAway = events.record({ kind: "TOOL", contentText: "written while reconnecting" });
  const again = await app.request(`http://${HOST}/api/v1/timeline/stream`, {
    headers: { ...auth, "last-event-id": opening.lastId },
  });
  const resumed = await readUntil(again.body!, (s) => s.length >= 1);
  assert.deepEqual(resumed.map((e) => e.id), [String(whileAway.id)]);
});

Deno.test("a stream that is not read loses nothing: it gets every event, in order, once it reads", async () => {
  await using t = await tempTimeline();
  const events = t.timeline.events;
  const app = appOf(events);
  const response = await app.request(`http://${HOST}/api/v1/timeline/stream`, { headers: auth });
  const ids: number[] = [];
  for (let i = 0; i < 600; i++) ids.push(events.record({ kind: "TOOL", contentText: `${i}` }).id);
  // Several polls pass with the reader idle.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const seen = await readUntil(response.body!, (s) => s.length >= 600);
  assert.deepEqual(seen.map((e) => Number(e.id)), ids);
});

Deno.test("at most maxStreams streams are open at once; a closed one makes room", async () => {
  await using t = await tempTimeline();
  const app = apiApp({
    token: TOKEN,
    hosts: hostNames("127.0.0.1", 18790),
    status: () => ({}) as GatewayStatus,
    events: t.timeline.events,
    stream: { pollMs: 10, maxStreams: 2 },
  });
  const open = () => app.request(`http://${HOST}/api/v1/timeline/stream`, { headers: auth });
  const [one, two] = [await open(), await open()];
  assert.equal(one.status, 200);
  assert.equal(two.status, 200);
  const refused = await open();
  assert.equal(refused.status, 503);
  assert.equal((await refused.json()).error.code, "too_many_streams");
  await one.body!.cancel();
  const three = await open();
  assert.equal(three.status, 200);
  await two.body!.cancel();
  await three.body!.cancel();
});

Deno.test("this process's own writes reach the stream without waiting for the poll", async () => {
  await using t = await tempTimeline();
  const events = t.timeline.events;
  // A poll this slow would fail the read's deadline: only the write's own wake can pass.
  const app = apiApp({
    token: TOKEN,
    hosts: hostNames("127.0.0.1", 18790),
    status: () => ({}) as GatewayStatus,
    events,
    stream: { pollMs: 60_000 },
  });
  const response = await app.request(`http://${HOST}/api/v1/timeline/stream`, { headers: auth });
  const reading = readUntil(response.body!, (s) => s.length >= 1);
  const written = events.record({ kind: "OUTBOUND", contentText: "at once" });
  const [seen] = await settles(reading, "the write on the stream before the next poll", 10_000);
  assert.equal(seen?.id, String(written.id));
});
