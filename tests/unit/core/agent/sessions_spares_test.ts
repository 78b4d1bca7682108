/**
 * A store whose new sessions' files are made ahead (`spares`, after a line is added to a session
 * that exists, as a turn's answer is): a new session's file is the spare, whole with its header,
 * 0600; what it holds reads back as without spares; the spare not used is removed at close; a
 * spare someone removed, or one never made, leaves the session made as before; the spares a
 * killed process left are swept when this one makes its first.
 */
import assert from "node:assert/strict";
import { SessionStore } from "../../../../core/agent/sessions.ts";
import { sizeLimited } from "../../../_support/full_disk.ts";
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

/**
 * How many of this process's open files are the file at `path`, by inode (as the kernel lists
 * them to a child: a file opened under another name, a spare's, is listed under that name).
 */
async function openFilesOf(path: string): Promise<number> {
  const { ino } = Deno.statSync(path);
  const list = 'stat -L -c %i /proc/"$1"/fd/* 2>/dev/null';
  const out = await new Deno.Command("sh", { args: ["-c", list, "sh", String(Deno.pid)] }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((i) => i === String(ino)).length;
}

Deno.test("a turn's answer goes into the file its question was written to, still open", async () => {
  await using s = await sparesStore();
  await turn(s.store, "a", "1");
  await waitFor(() => spareIn(s.dir) !== undefined, "a spare");
  // A new session made from the spare, and one opened to append: each stays open once written.
  for (const key of ["b", "a"]) {
    await s.store.append(key, [{ role: "user", content: `asked in ${key}` }]);
    const path = await s.store.path(key);
    assert.equal(await openFilesOf(path), 1, `${key} held after its question`);
    await s.store.append(key, [{ role: "assistant", content: `answered in ${key}` }]);
    assert.equal(await openFilesOf(path), 1, `${key} held after its answer`);
  }
  assert.equal(await openFilesOf(await s.store.path("b")), 0, "one file held at a time");
  assert.deepEqual(await contents(new SessionStore(s.dir), "b"), ["asked in b", "answered in b"]);
  assert.deepEqual(await contents(new SessionStore(s.dir), "a"), [
    "1",
    "answer to 1",
    "asked in a",
    "answered in a",
  ]);
  await s.store.close();
  assert.equal(await openFilesOf(await s.store.path("a")), 0, "closed with the store");
  await turn(s.store, "a", "after close");
  assert.equal(await openFilesOf(await s.store.path("a")), 0, "a closed store holds nothing");
});

Deno.test("a held session file is written again only while nobody else changed it", async () => {
  await using s = await sparesStore();
  const other = new SessionStore(s.dir, { now: SESSION_TIME });
  await s.store.append("k", [{ role: "user", content: "mine" }]);
  await other.append("k", [{ role: "assistant", content: "another process's" }]);
  await s.store.append("k", [{ role: "user", content: "mine again" }]);
  assert.deepEqual(await contents(other, "k"), ["mine", "another process's", "mine again"]);
  // Removed, or removed and made anew, since the last write: the session is made again.
  await Deno.remove(await s.store.path("k"));
  await s.store.append("k", [{ role: "user", content: "after the removal" }]);
  await Deno.remove(await s.store.path("k"));
  await other.append("k", [{ role: "user", content: "made anew elsewhere" }]);
  await s.store.append("k", [{ role: "assistant", content: "into the new file" }]);
  const text = await Deno.readTextFile(await s.store.path("k"));
  assert.equal(text.split("\n").filter((l) => l.includes('"metadata"')).length, 1);
  assert.deepEqual(await contents(other, "k"), ["made anew elsewhere", "into the new file"]);
});

Deno.test("a held file's append cut short by a file-size limit leaves the file as it was", async () => {
  await using s = await sparesStore();
  await s.store.append("k", [{ role: "user", content: "first" }]);
  const path = await s.store.path("k");
  const url = new URL("../../../../core/agent/sessions.ts", import.meta.url).href;
  const code = `
    import { SessionStore } from ${JSON.stringify(url)};
    const store = new SessionStore(${JSON.stringify(s.dir)}, { spares: true });
    await store.append("k", [{ role: "assistant", content: "held" }]);
    try {
      await store.append("k", [{ role: "user", content: "y".repeat(4000) }]);
      console.log("appended");
    } catch (error) {
      console.log("failed: " + error.message);
    }
    await store.close();
  `;
  // Room for the held line, not for the long one after it.
  const room = (await Deno.readTextFile(path)).length + 300;
  const out = await sizeLimited(room, Deno.execPath(), ["eval", "-A", "--quiet", code], {
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.match(new TextDecoder().decode(out.stdout), /^failed: File too large/);
  assert.deepEqual(await contents(new SessionStore(s.dir), "k"), ["first", "held"]);
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
