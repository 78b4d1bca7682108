/**
 * A store whose new sessions' files are made ahead (`spares`, after a line is added to a session
 * that exists, as a turn's answer is): a new session's file is the spare, whole with its header,
 * 0600; what it holds reads back as without spares; the spare not used is removed at close; a
 * spare someone removed, or one never made, leaves the session made as before; the spares a
 * killed process left are swept when this one makes its first.
 */
import assert from "node:assert/strict";
import { SessionStore } from "../../../../core/agent/sessions.ts";
import { waitFor } from "../../../_support/wait.ts";
import { SESSION_TIME } from "./_sessions.ts";

/** A store with spares in a fresh folder whose sessions folder already exists. */
async function sparesStore() {
  const root = await Deno.makeTempDir({ prefix: "kafclaw-spares-" });
  const dir = `${root}/sessions`;
  await Deno.mkdir(dir);
  const store = new SessionStore(dir, { now: SESSION_TIME, spares: true });
  return {
    dir,
    store,
    async [Symbol.asyncDispose]() {
      await store.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();
const spareIn = (dir: string) => names(dir).find((n) => n.startsWith(".spare."));

/** A turn of session `key`: its question, then its answer (after which a spare is made). */
async function turn(store: SessionStore, key: string, question: string) {
  await store.append(key, [{ role: "user", content: question }]);
  await store.append(key, [{ role: "assistant", content: `answer to ${question}` }]);
}

const contents = async (store: SessionStore, key: string) =>
  (await store.lines(key)).map((l) => l.type === "message" ? l.message.content : l.type);

Deno.test("a new session's file is the spare made ahead, whole and 0600", async () => {
  await using s = await sparesStore();
  await s.store.append("first", [{ role: "user", content: "made without a spare" }]);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(spareIn(s.dir), undefined, "no spare while no line was added to a session");
  await s.store.append("first", [{ role: "assistant", content: "its answer" }]);
  await waitFor(() => spareIn(s.dir) !== undefined, "a spare made after the first answer");
  const spare = spareIn(s.dir)!;
  const { ino } = Deno.statSync(`${s.dir}/${spare}`);
  await s.store.append("second", [{ role: "user", content: "q" }, {
    role: "assistant",
    content: "a",
  }]);
  const path = await s.store.path("second");
  const info = Deno.statSync(path);
  assert.equal(info.ino, ino, "the session's file is the spare");
  assert.equal(info.mode! & 0o777, 0o600);
  const lines = (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines[0]._type, "metadata");
  assert.equal(lines[0].key, "second");
  assert.equal(lines.length, 3);
  assert.ok(!names(s.dir).includes(spare), "the spare's own name is gone");
  // Appends go on as to any session file, and a fresh store reads the same.
  await s.store.append("second", [{ role: "user", content: "q2" }]);
  const fresh = new SessionStore(s.dir);
  assert.deepEqual(await contents(fresh, "second"), ["q", "a", "q2"]);
  assert.deepEqual((await fresh.list()).map((x) => x.key).sort(), ["first", "second"]);
});

Deno.test("close removes the spare not used, and one still being made", async () => {
  await using s = await sparesStore();
  await turn(s.store, "a", "1");
  await waitFor(() => spareIn(s.dir) !== undefined, "a spare");
  // b takes it; its answer asks for the next, and close comes while that one is being made.
  await turn(s.store, "b", "2");
  await s.store.close();
  assert.deepEqual(names(s.dir), ["a.jsonl", "b.jsonl"]);
  // A closed store still makes new sessions, without spares.
  await turn(s.store, "c", "3");
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(names(s.dir), ["a.jsonl", "b.jsonl", "c.jsonl"]);
});

Deno.test("a spare that someone removed leaves the new session made as before", async () => {
  await using s = await sparesStore();
  await turn(s.store, "a", "1");
  await waitFor(() => spareIn(s.dir) !== undefined, "a spare");
  await Deno.remove(`${s.dir}/${spareIn(s.dir)!}`);
  await s.store.append("b", [{ role: "user", content: "2" }]);
  assert.deepEqual(await contents(new SessionStore(s.dir), "b"), ["2"]);
  await s.store.close();
  assert.deepEqual(names(s.dir), ["a.jsonl", "b.jsonl"], "no temporary file left");
});

Deno.test("a store with spares makes its sessions folder, then spares in it", async () => {
  const root = await Deno.makeTempDir({ prefix: "kafclaw-spares-" });
  const store = new SessionStore(`${root}/sessions`, { spares: true });
  try {
    // Until a first session made the folder, no spare is asked for; then one is.
    await turn(store, "a", "1");
    await waitFor(() => spareIn(`${root}/sessions`) !== undefined, "a spare in the new folder");
    await turn(store, "b", "2");
    for (const key of ["a", "b"]) assert.equal((await contents(store, key)).length, 2);
  } finally {
    await store.close();
    assert.deepEqual(names(`${root}/sessions`), ["a.jsonl", "b.jsonl"]);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("spares left by a process that died are swept when this one makes its first", async () => {
  await using s = await sparesStore();
  const hourAgo = new Date(Date.now() - 3_600_000);
  // Left by a process killed before this one started, and an old session beside it.
  await Deno.writeTextFile(`${s.dir}/.spare.dead0001.tmp`, "", { mode: 0o600 });
  await Deno.writeTextFile(`${s.dir}/old.jsonl`, "{}\n");
  for (const name of [".spare.dead0001.tmp", "old.jsonl"]) {
    await Deno.utime(`${s.dir}/${name}`, hourAgo, hourAgo);
  }
  // Made since this process started: another running process's spare, left alone.
  await Deno.writeTextFile(`${s.dir}/.spare.live0002.tmp`, "", { mode: 0o600 });
  await turn(s.store, "a", "1");
  const mine = () =>
    names(s.dir).find((n) => n.startsWith(".spare.") && !/dead0001|live0002/.test(n));
  await waitFor(() => mine() !== undefined, "this process's first spare");
  assert.deepEqual(names(s.dir), [".spare.live0002.tmp", mine(), "a.jsonl", "old.jsonl"].sort());
  await s.store.close();
  assert.deepEqual(names(s.dir), [".spare.live0002.tmp", "a.jsonl", "old.jsonl"]);
});
