/**
 * The lines a SessionStore keeps in memory: a session this store wrote or read is continued
 * without reading its file again, and whatever another process (another store) did to the file,
 * appended, removed or made anew, is read from the disk at the next look. A second store on the
 * same folder stands for another process.
 */
import assert from "node:assert/strict";
import { SessionStore } from "../../../../core/agent/sessions.ts";
import { SESSION_TIME, tempSessions as store } from "./_sessions.ts";

const user = (content: string) => ({ role: "user" as const, content });
const answer = (content: string) => ({ role: "assistant" as const, content });
const texts = async (s: SessionStore, key: string) =>
  (await s.lines(key)).map((l) => l.type === "message" ? l.message.content : l.type);

Deno.test("a session this store wrote is continued from memory, not read again", async () => {
  await using s = await store();
  await s.store.append("k", [user("one")]);
  await s.store.append("k", [answer("two")], { taint: "untrusted" });
  assert.deepEqual(await texts(s.store, "k"), ["one", "two"]);
  const history = await s.store.history("k", 10);
  assert.equal(history.taint, "untrusted");
  assert.equal(s.store.reads, 0);
  // What is kept is what the file holds.
  const fresh = new SessionStore(s.dir, { now: SESSION_TIME });
  assert.deepEqual(await fresh.lines("k"), await s.store.lines("k"));
  assert.equal(fresh.reads, 1);
  assert.deepEqual(await texts(fresh, "k"), ["one", "two"]);
  assert.equal(fresh.reads, 1, "read once, then kept");
});

Deno.test("lines another process appended are read at the next look, and appends go on from there", async () => {
  await using s = await store();
  const other = new SessionStore(s.dir, { now: SESSION_TIME });
  await s.store.append("k", [user("one")]);
  await other.append("k", [answer("two")]);
  assert.deepEqual(await texts(s.store, "k"), ["one", "two"]);
  assert.equal(s.store.reads, 1);
  await s.store.append("k", [user("three")]);
  assert.deepEqual(await texts(s.store, "k"), ["one", "two", "three"]);
  assert.equal(s.store.reads, 1, "its own append after a read is kept");
  // Another append unseen, then one of its own: what was kept no longer holds.
  await other.append("k", [answer("four")]);
  await s.store.append("k", [user("five")]);
  assert.deepEqual(await texts(s.store, "k"), ["one", "two", "three", "four", "five"]);
  assert.equal(s.store.reads, 2);
});

Deno.test("a session removed, or removed and made anew, elsewhere is read from the disk", async () => {
  await using s = await store();
  const other = new SessionStore(s.dir, { now: SESSION_TIME });
  await s.store.append("k", [user("mine")]);
  await Deno.remove(await s.store.path("k"));
  assert.deepEqual(await s.store.lines("k"), []);
  await s.store.append("k", [user("mine again")]);
  await other.remove("k");
  await other.append("k", [user("theirs")]);
  assert.deepEqual(await texts(s.store, "k"), ["theirs"]);
  // Removed here: nothing kept, nothing read.
  assert.equal(await s.store.remove("k"), true);
  assert.deepEqual(await s.store.lines("k"), []);
});

Deno.test("closing an unanswered turn judges by the kept lines: answered, asked, marked, summary only", async () => {
  await using s = await store();
  await s.store.append("answered", [user("q"), answer("a")]);
  assert.equal(await s.store.closeUnanswered("answered", "gone"), false);
  await s.store.append("asked", [user("q")]);
  assert.equal(await s.store.closeUnanswered("asked", "gone"), true);
  assert.deepEqual(await texts(s.store, "asked"), ["q", "interrupted"]);
  assert.equal(await s.store.closeUnanswered("asked", "gone"), false, "marked already");
  await s.store.appendSummary("summed", "Earlier: tea.", 0);
  assert.equal(await s.store.closeUnanswered("summed", "gone"), false);
  assert.equal(s.store.reads, 0);
});

/** A store on `dir` with `limits`, that wrote sessions `a` and `b` and read `b` back. */
async function withAB(dir: string, limits: { keep?: number; keepBytes?: number }) {
  const limited = new SessionStore(dir, { now: SESSION_TIME, ...limits });
  await limited.append("a", [user("a")]);
  await limited.append("b", [user("b")]);
  assert.deepEqual(await texts(limited, "b"), ["b"]);
  return limited;
}

Deno.test("only the sessions used last are kept; an older one is read again", async () => {
  await using s = await store();
  const one = await withAB(s.dir, { keep: 1 });
  assert.equal(one.reads, 0);
  assert.deepEqual(await texts(one, "a"), ["a"]);
  assert.equal(one.reads, 1);
});

Deno.test("no more bytes of sessions are kept than allowed; a session bigger than that is never kept", async () => {
  await using s = await store();
  const small = await withAB(s.dir, { keepBytes: 600 });
  assert.deepEqual(await texts(small, "a"), ["a"]);
  assert.equal(small.reads, 0, "two small sessions fit");
  await small.append("big", [user("x".repeat(700))]);
  await small.lines("big");
  await small.lines("big");
  assert.equal(small.reads, 2, "read every time");
  assert.deepEqual(await texts(small, "a"), ["a"]);
  assert.equal(small.reads, 2, "the small ones were not dropped for it");
});
