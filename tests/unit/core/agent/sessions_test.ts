import assert from "node:assert/strict";
import { sessionFileName } from "../../../../core/agent/sessions.ts";
import { tempSessions as store } from "./_sessions.ts";

Deno.test("session keys become safe file names that never collide", async () => {
  assert.equal(await sessionFileName("plain-key_1"), "plain-key_1.jsonl");
  const a = await sessionFileName("cli:default");
  const b = await sessionFileName("cli_default");
  assert.match(a, /^cli_default\.[0-9a-f]{10}\.jsonl$/);
  assert.notEqual(a, b);
  assert.match(await sessionFileName("../../etc/passwd"), /^etc_passwd\.[0-9a-f]{10}\.jsonl$/);
  assert.match(await sessionFileName(".hidden"), /^hidden\.[0-9a-f]{10}\.jsonl$/);
  assert.match(await sessionFileName("::"), /^session\.[0-9a-f]{10}\.jsonl$/);
  await assert.rejects(() => sessionFileName(""), RangeError);
  assert.match(await sessionFileName("a".repeat(300)), /^a{80}\.[0-9a-f]{10}\.jsonl$/);
});

Deno.test("a store names each key's file as sessionFileName does, however many keys it saw", async () => {
  await using s = await store();
  const keys = Array.from({ length: 600 }, (_, i) => `task:${i % 300}`);
  for (const key of keys) {
    assert.equal(await s.store.path(key), `${s.dir}/${await sessionFileName(key)}`);
  }
});

Deno.test("a session file is created 0600 in a 0700 folder with a metadata first line", async () => {
  await using s = await store();
  await s.store.append("cli:default", [{ role: "user", content: "hi" }]);
  const path = await s.store.path("cli:default");
  assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  assert.equal((await Deno.stat(s.dir)).mode! & 0o777, 0o700);
  const [first, second] = (await Deno.readTextFile(path)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assert.equal(first._type, "metadata");
  assert.equal(first.key, "cli:default");
  assert.deepEqual(second, { role: "user", content: "hi", timestamp: "2026-11-25T10:00:00.000Z" });
});

Deno.test("appending adds lines and never rewrites earlier ones", async () => {
  await using s = await store();
  await s.store.append("k", [{ role: "user", content: "one" }]);
  const path = await s.store.path("k");
  const before = await Deno.readTextFile(path);
  await s.store.append("k", [
    {
      role: "assistant",
      content: null,
      toolCalls: [{ id: "c1", name: "list_dir", arguments: "{}" }],
    },
    { role: "tool", toolCallId: "c1", content: "[FILE] a (1 bytes)" },
    { role: "assistant", content: "done" },
  ]);
  const after = await Deno.readTextFile(path);
  assert.ok(after.startsWith(before), "earlier bytes unchanged");
  const lines = await s.store.lines("k");
  assert.deepEqual(lines.map((l) => l.type === "message" ? l.message.role : l.type), [
    "user",
    "assistant",
    "tool",
    "assistant",
  ]);
});

Deno.test("history keeps a window that starts at a user message, after the latest summary", async () => {
  await using s = await store();
  for (let i = 0; i < 5; i++) {
    await s.store.append("k", [
      { role: "user", content: `q${i}` },
      {
        role: "assistant",
        content: null,
        toolCalls: [{ id: `c${i}`, name: "t", arguments: "{}" }],
      },
      { role: "tool", toolCallId: `c${i}`, content: "r" },
      { role: "assistant", content: `a${i}` },
    ]);
  }
  const h = await s.store.history("k", 6);
  assert.equal(h.messages[0]!.role, "user", "no orphan tool result at the start");
  assert.equal(h.messages[0]!.content, "q4");
  assert.equal(h.totalMessages, 20);
  await s.store.appendSummary("k", "q0..q2 were asked", 12);
  const after = await s.store.history("k", 100);
  assert.equal(after.summary, "q0..q2 were asked");
  assert.equal(after.messages[0]!.content, "q3");
  assert.equal((await s.store.lines("k")).filter((l) => l.type === "message").length, 20);
});

Deno.test("a torn or foreign line is skipped and the rest of the session still loads", async () => {
  await using s = await store();
  await s.store.append("k", [{ role: "user", content: "kept" }]);
  const path = await s.store.path("k");
  await Deno.writeTextFile(
    path,
    '{"role":"user","content":42}\n{"role":"tool","content":"x"}\n{"_type":"summary"}\n{"role":"assistant","content":{}}\n{"role":"alien","content":"x"}\n{"role":"user","conte',
    { append: true },
  );
  const lines = await s.store.lines("k");
  assert.deepEqual(lines.map((l) => l.type === "message" ? l.message.content : ""), ["kept"]);
  assert.deepEqual(await s.store.lines("missing"), []);
  assert.deepEqual((await s.store.history("missing", 10)).messages, []);
});

Deno.test("system messages round-trip, and an unreadable session is an error, not an empty one", async () => {
  await using s = await store();
  await s.store.append("k", [{ role: "system", content: "note to self" }]);
  assert.deepEqual((await s.store.lines("k")).map((l) => l.type === "message" && l.message), [
    { role: "system", content: "note to self" },
  ]);
  await Deno.mkdir(await s.store.path("broken"), { recursive: true });
  await assert.rejects(() => s.store.lines("broken"), Deno.errors.IsADirectory);
});

Deno.test("lines written by an untrusted turn are marked, and a history that shows one is untrusted", async () => {
  await using s = await store();
  await s.store.append("k", [{ role: "user", content: "read the page" }]);
  assert.equal((await s.store.history("k", 10)).taint, "trusted");
  await s.store.append("k", [{ role: "tool", toolCallId: "b", content: "page" }], {
    taint: "untrusted",
  });
  await s.store.append("k", [{ role: "assistant", content: "done" }], { taint: "trusted" });
  const text = await Deno.readTextFile(await s.store.path("k"));
  assert.deepEqual(
    text.trim().split("\n").slice(1).map((l) => JSON.parse(l).taint),
    [undefined, "untrusted", undefined],
    "only untrusted lines carry the field",
  );
  assert.deepEqual((await s.store.lines("k")).map((l) => l.taint), [
    "trusted",
    "untrusted",
    "trusted",
  ]);
  assert.equal((await s.store.history("k", 10)).taint, "untrusted");
  // Out of the window and not summarised: the model no longer sees it.
  for (let i = 0; i < 3; i++) {
    await s.store.append("k", [{ role: "user", content: `q${i}` }, {
      role: "assistant",
      content: `a${i}`,
    }]);
  }
  assert.equal((await s.store.history("k", 2)).taint, "trusted");
  // A summary of untrusted lines keeps their taint.
  await s.store.appendSummary("k", "a page was read", 3, { taint: "untrusted" });
  assert.equal((await s.store.history("k", 2)).taint, "untrusted");
  await s.store.appendSummary("k", "all clean", 9);
  assert.equal((await s.store.history("k", 2)).taint, "trusted");
});

Deno.test("a taint field that is not trusted fails closed", async () => {
  await using s = await store();
  await s.store.append("k", [{ role: "user", content: "hi" }]);
  await Deno.writeTextFile(
    await s.store.path("k"),
    '{"role":"assistant","content":"x","taint":"maybe"}\n{"_type":"summary","summary":"s","covers":0,"taint":1}\n',
    { append: true },
  );
  assert.deepEqual((await s.store.lines("k")).map((l) => [l.type, l.taint]), [
    ["message", "trusted"],
    ["message", "untrusted"],
    ["summary", "untrusted"],
  ]);
});

Deno.test("sessions are listed by their keys, newest change first, and removed", async () => {
  await using s = await store();
  assert.deepEqual(await s.store.list(), [], "no folder yet");
  await s.store.append("cli:default", [{ role: "user", content: "one" }]);
  await s.store.append("telegram:42", [{ role: "user", content: "two" }]);
  const later = new Date(Date.now() + 60_000);
  await Deno.utime(await s.store.path("telegram:42"), later, later);
  // Files that are not sessions are left out: no metadata line, not JSON, empty.
  await Deno.writeTextFile(`${s.dir}/notes.jsonl`, '{"role":"user","content":"x"}\n');
  await Deno.writeTextFile(`${s.dir}/broken.jsonl`, "not json\n");
  await Deno.writeTextFile(`${s.dir}/empty.jsonl`, "");
  const listed = await s.store.list();
  assert.deepEqual(listed.map((l) => l.key), ["telegram:42", "cli:default"]);
  assert.equal(listed[1]!.createdAt, "2026-11-25T10:00:00.000Z");
  assert.ok(listed[1]!.bytes > 0);
  assert.equal(await s.store.remove("cli:default"), true);
  assert.equal(await s.store.remove("cli:default"), false);
  assert.deepEqual((await s.store.list()).map((l) => l.key), ["telegram:42"]);
});

Deno.test("only files whose first line is a session's metadata are listed", async () => {
  await using s = await store();
  await Deno.mkdir(`${s.dir}/folder.jsonl`, { recursive: true });
  const files: Record<string, string> = {
    "old.jsonl": '{"_type":"metadata","key":"old"}\n',
    "null.jsonl": "null\n",
    "number.jsonl": "5\n",
    "keyless.jsonl": '{"_type":"metadata"}\n',
    "readme.txt": '{"_type":"metadata","key":"txt"}\n',
    ".temp.jsonl": '{"_type":"metadata","key":"temp"}\n',
  };
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${s.dir}/${name}`, text);
  }
  assert.deepEqual((await s.store.list()).map((l) => [l.key, l.createdAt]), [["old", ""]]);
});

Deno.test("removing a session that cannot be removed, or listing a folder that is a file, throws", async () => {
  await using s = await store();
  await s.store.append("k", [{ role: "user", content: "one" }]);
  const path = await s.store.path("held");
  await Deno.mkdir(`${path}/inside`, { recursive: true });
  await assert.rejects(() => s.store.remove("held"));
  await Deno.remove(s.dir, { recursive: true });
  await Deno.writeTextFile(s.dir, "not a folder");
  await assert.rejects(() => s.store.list());
});
