import assert from "node:assert/strict";
import { SessionStore } from "../../../../core/agent/sessions.ts";
import { DiskFullError } from "../../../../core/timeline/mod.ts";
import { sizeLimited, smallDisk, TMPFS } from "../../../_support/full_disk.ts";

import { SESSION_TIME as T, tempSessions as store } from "./_sessions.ts";

const contents = async (store: SessionStore, key: string) =>
  (await store.lines(key)).map((l) => l.type === "message" ? l.message.content : l.type);

Deno.test({
  name: "an append on a full tmpfs fails as a full disk and leaves the file as it was",
  ignore: !TMPFS,
  async fn() {
    await using disk = (await smallDisk(1024))!;
    const sessions = new SessionStore(`${disk.path}/sessions`, { now: T });
    await sessions.append("k", [{ role: "user", content: "first" }, {
      role: "assistant",
      content: "one",
    }]);
    const path = await sessions.path("k");
    const before = await Deno.readTextFile(path);
    await disk.fill(100);
    await assert.rejects(
      () => sessions.append("k", [{ role: "user", content: "x".repeat(8000) }]),
      (error: unknown) => {
        assert.ok(error instanceof DiskFullError, String(error));
        assert.match(error.message, /^The disk holding .*\/sessions\/k\.jsonl is full/);
        return true;
      },
    );
    assert.equal(await Deno.readTextFile(path), before, "nothing of the failed append is left");
    await disk.drain();
    await sessions.append("k", [{ role: "user", content: "second" }]);
    assert.deepEqual(await contents(sessions, "k"), ["first", "one", "second"]);
  },
});

Deno.test("an append cut short by a file-size limit leaves the file as it was", async () => {
  await using s = await store();
  await s.store.append("k", [{ role: "user", content: "first" }]);
  const path = await s.store.path("k");
  const before = await Deno.readTextFile(path);
  const url = new URL("../../../../core/agent/sessions.ts", import.meta.url).href;
  const code = `
    import { SessionStore } from ${JSON.stringify(url)};
    const store = new SessionStore(${JSON.stringify(s.dir)});
    try {
      await store.append("k", [{ role: "assistant", content: "y".repeat(4000) }]);
      console.log("appended");
    } catch (error) {
      console.log("failed: " + error.message);
    }
  `;
  // Room for a few more bytes: the write starts, then fails half-way.
  const out = await sizeLimited(before.length + 50, Deno.execPath(), [
    "eval",
    "-A",
    "--quiet",
    code,
  ], { stdout: "piped", stderr: "piped", env: { NO_COLOR: "1" } }).output();
  assert.match(new TextDecoder().decode(out.stdout), /^failed: File too large/);
  assert.equal(await Deno.readTextFile(path), before, "nothing of the failed append is left");
  await s.store.append("k", [{ role: "assistant", content: "answer" }]);
  assert.deepEqual(await contents(s.store, "k"), ["first", "answer"]);
});

Deno.test("a line appended after a torn last line (a crash mid-write) is read back", async () => {
  await using s = await store();
  await s.store.append("k", [{ role: "user", content: "asked" }]);
  const path = await s.store.path("k");
  await Deno.writeTextFile(path, '{"role":"assistant","content":"half an ans', { append: true });
  await s.store.append("k", [{ role: "user", content: "asked again" }, {
    role: "assistant",
    content: "answered",
  }]);
  assert.deepEqual(await contents(s.store, "k"), ["asked", "asked again", "answered"]);
  assert.deepEqual(await s.store.damaged(), [{ file: "k.jsonl", lines: [3] }]);
});

Deno.test("a good line glued onto a torn one by an older version is recovered", async () => {
  await using s = await store();
  await s.store.append("k", [{ role: "user", content: "asked" }]);
  await Deno.writeTextFile(
    await s.store.path("k"),
    '{"role":"assistant","content":"half{"role":"assistant","content":"whole answer"}\n',
    { append: true },
  );
  assert.deepEqual(await contents(s.store, "k"), ["asked", "whole answer"]);
});

Deno.test("appends racing to create one session write one metadata line", async () => {
  await using s = await store();
  const key = "cli:default";
  await Promise.all(
    Array.from({ length: 8 }, (_, i) => s.store.append(key, [{ role: "user", content: `${i}` }])),
  );
  const path = await s.store.path(key);
  const lines = (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.filter((l) => l._type === "metadata").length, 1);
  assert.equal(lines[0]._type, "metadata", "first");
  assert.equal(lines.length, 9);
  assert.deepEqual(
    [...Deno.readDirSync(s.dir)].map((e) => `${s.dir}/${e.name}`),
    [path],
    "no temporary file left",
  );
});

Deno.test("a turn left without an answer is closed by an interrupted mark the model sees", async () => {
  await using s = await store();
  await s.store.append("k", [{ role: "user", content: "q1" }, {
    role: "assistant",
    content: "a1",
  }]);
  assert.equal(await s.store.closeUnanswered("k", "x"), false, "an answered turn stays as it is");
  await s.store.append("k", [{ role: "user", content: "q2" }]);
  assert.equal(await s.store.closeUnanswered("k", "its process stopped"), true);
  assert.equal(await s.store.closeUnanswered("k", "again"), false, "marked once");
  const history = await s.store.history("k", 10);
  assert.deepEqual(history.messages.map((m) => m.content), [
    "q1",
    "a1",
    "q2",
    "(interrupted: its process stopped)",
  ]);
  assert.equal(history.totalMessages, 4);
  // A mark after an answer (a cancelled turn already said so) adds nothing for the model.
  await s.store.markInterrupted("k", "kafclaw was stopped (SIGTERM)");
  assert.equal((await s.store.history("k", 10)).messages.length, 4);
  const last = JSON.parse(
    (await Deno.readTextFile(await s.store.path("k"))).trim().split("\n").at(-1)!,
  );
  assert.deepEqual(last, {
    _type: "interrupted",
    reason: "kafclaw was stopped (SIGTERM)",
    timestamp: "2026-11-25T10:00:00.000Z",
  });
});

Deno.test("closing an unanswered turn reads the end of a long session, long last lines included", async () => {
  await using s = await store();
  for (let i = 0; i < 50; i++) {
    await s.store.append("k", [{ role: "user", content: `q${i} ${"x".repeat(2000)}` }, {
      role: "assistant",
      content: `a${i}`,
    }]);
  }
  assert.equal(await s.store.closeUnanswered("k", "x"), false);
  await s.store.append("k", [{ role: "user", content: "last" }, {
    role: "assistant",
    content: null,
    toolCalls: [{ id: "c", name: "read_file", arguments: "{}" }],
  }, { role: "tool", toolCallId: "c", content: "y".repeat(100_000) }]);
  await s.store.appendSummary("k", "a summary", 10);
  assert.equal(await s.store.closeUnanswered("k", "stopped"), true, "a tool result last");
  const messages = (await s.store.history("k", 4)).messages;
  assert.equal(messages.at(-1)!.content, "(interrupted: stopped)");
});

Deno.test("damaged lists only session files with unreadable lines", async () => {
  await using s = await store();
  assert.deepEqual(await s.store.damaged(), [], "no folder yet");
  await s.store.append("good", [{ role: "user", content: "fine" }]);
  await s.store.append("bad", [{ role: "user", content: "fine" }]);
  await Deno.writeTextFile(await s.store.path("bad"), "not json\n", { append: true });
  // What else may lie there is no session: a creation's temporary file, a hidden file, notes.
  await Deno.writeTextFile(`${s.dir}/.k.jsonl.0a1b2c3d.tmp`, "not json\n");
  await Deno.writeTextFile(`${s.dir}/.k.jsonl`, "not json\n");
  await Deno.writeTextFile(`${s.dir}/notes.txt`, "not json\n");
  await Deno.mkdir(`${s.dir}/old.jsonl`);
  assert.deepEqual(await s.store.damaged(), [{ file: "bad.jsonl", lines: [3] }]);
});

Deno.test("sessions that cannot be listed are an error, never reported as undamaged", async () => {
  await using s = await store();
  await Deno.writeTextFile(s.dir, "a file where the folder should be");
  await assert.rejects(() => s.store.damaged(), Deno.errors.NotADirectory);
});

Deno.test("an interrupted mark without a reason still closes the turn it follows", async () => {
  await using s = await store();
  await s.store.append("k", [{ role: "user", content: "q" }]);
  await Deno.writeTextFile(await s.store.path("k"), '{"_type":"interrupted"}\n', { append: true });
  const last = (await s.store.lines("k")).at(-1);
  assert.deepEqual(last, { type: "interrupted", reason: "unknown", at: "", taint: "trusted" });
  const { messages } = await s.store.history("k", 10);
  assert.deepEqual(messages.map((m) => m.content), ["q", "(interrupted: unknown)"]);
});

Deno.test("tool calls a crash left without results get one each when the turn is closed", async () => {
  await using s = await store();
  const call = (id: string) => ({ id, name: "read_file", arguments: "{}" });
  const asked = { role: "assistant" as const, content: null, toolCalls: [call("c1"), call("c2")] };
  const path = await s.store.path("k");
  // The exchange [call, result c1, result c2] was cut short after the call ...
  await s.store.append("k", [{ role: "user", content: "q1" }, asked]);
  await Deno.writeTextFile(path, '{"role":"tool","tool_call_id":"c1","cont', { append: true });
  assert.equal(await s.store.closeUnanswered("k", "stopped"), true, "the call is no answer");
  // ... and, in a later turn, after the first result.
  await s.store.append("k", [{ role: "user", content: "q2" }, asked, {
    role: "tool",
    toolCallId: "c1",
    content: "r1",
  }]);
  assert.equal(await s.store.closeUnanswered("k", "stopped again"), true);
  const { messages } = await s.store.history("k", 20);
  const shown = messages.map((m) =>
    m.role === "tool" ? `tool ${m.toolCallId}: ${m.content}` : `${m.role}: ${m.content}`
  );
  assert.deepEqual(shown, [
    "user: q1",
    "assistant: null",
    "tool c1: (interrupted: stopped)",
    "tool c2: (interrupted: stopped)",
    "assistant: (interrupted: stopped)",
    "user: q2",
    "assistant: null",
    "tool c1: r1",
    "tool c2: (interrupted: stopped again)",
    "assistant: (interrupted: stopped again)",
  ]);
});
