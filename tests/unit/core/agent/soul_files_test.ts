/**
 * The soul files as turns read them: from memory while unchanged, from the disk once changed
 * (an edit is in the very next turn, through the runtime too), a file gone is gone, and a file
 * changed moments before it was read is read again until its change is old enough to tell.
 */
import assert from "node:assert/strict";
import { SETTLE_MS, SoulFiles } from "../../../../core/agent/soul_files.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { agentRuntime } from "../../../_support/group_worker.ts";

async function soulDir() {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-soul-files-" });
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

/** A clock well past every file's last change: each read settles. */
const later = () => Date.now() + 10 * SETTLE_MS;

Deno.test("the soul files are read once, in their order, and kept while unchanged", async () => {
  await using d = await soulDir();
  await Deno.writeTextFile(`${d.dir}/USER.md`, "Anna");
  await Deno.writeTextFile(`${d.dir}/AGENTS.md`, "Be kind.");
  await Deno.writeTextFile(`${d.dir}/notes.md`, "not a soul file");
  const soul = new SoulFiles(d.dir, { now: later });
  const first = await soul.read();
  assert.deepEqual(Object.entries(first), [["AGENTS.md", "Be kind."], ["USER.md", "Anna"]]);
  assert.equal(soul.reads, 2);
  assert.deepEqual(await soul.read(), first);
  assert.deepEqual(await soul.read(), first);
  assert.equal(soul.reads, 2, "unchanged files are not read again");
});

Deno.test("an edited soul file is read again at the next read, a new one appears, a removed one goes", async () => {
  await using d = await soulDir();
  await Deno.writeTextFile(`${d.dir}/SOUL.md`, "Warm.");
  await Deno.writeTextFile(`${d.dir}/USER.md`, "Anna");
  // Written an hour ago, as far as its modification time tells.
  const hourAgo = new Date(Date.now() - 3_600_000);
  await Deno.utime(`${d.dir}/SOUL.md`, hourAgo, hourAgo);
  const soul = new SoulFiles(d.dir, { now: later });
  await soul.read();
  // Edited in place, keeping its size and inode: its modification time tells.
  await Deno.writeTextFile(`${d.dir}/SOUL.md`, "Terse");
  await Deno.remove(`${d.dir}/USER.md`);
  await Deno.writeTextFile(`${d.dir}/MEMORY.md`, "Tea.");
  assert.deepEqual(await soul.read(), { "SOUL.md": "Terse", "MEMORY.md": "Tea." });
  // Replaced by a rename, as editors save: a new inode.
  await Deno.writeTextFile(`${d.dir}/.SOUL.md.tmp`, "Calm.");
  await Deno.rename(`${d.dir}/.SOUL.md.tmp`, `${d.dir}/SOUL.md`);
  assert.deepEqual(await soul.read(), { "SOUL.md": "Calm.", "MEMORY.md": "Tea." });
});

Deno.test("a file changed moments before its read is read again until its change is old enough", async () => {
  await using d = await soulDir();
  await Deno.writeTextFile(`${d.dir}/SOUL.md`, "Warm.");
  let now = Date.now();
  const soul = new SoulFiles(d.dir, { now: () => now });
  await soul.read();
  await soul.read();
  assert.equal(soul.reads, 2, "not settled: its look could hide a second edit in the same tick");
  now += SETTLE_MS + 1_000;
  await soul.read();
  await soul.read();
  await soul.read();
  assert.equal(soul.reads, 3, "read once more when settled, then kept");
});

/** A clock that removes `path` the first time it is asked (a file's read asks it first). */
function removingOnce(path: string): () => number {
  let done = false;
  return () => {
    if (!done) Deno.removeSync(path);
    done = true;
    return later();
  };
}

Deno.test("no soul folder, no soul files; a file removed while the files are looked at is left out", async () => {
  await using d = await soulDir();
  assert.deepEqual(await new SoulFiles(`${d.dir}/missing`).read(), {});
  const write = async () => {
    await Deno.writeTextFile(`${d.dir}/SOUL.md`, "Warm.");
    await Deno.writeTextFile(`${d.dir}/USER.md`, "Anna");
  };
  // SOUL.md is removed after its look, before its read.
  await write();
  const gone = new SoulFiles(d.dir, { now: removingOnce(`${d.dir}/SOUL.md`) });
  assert.deepEqual(await gone.read(), { "USER.md": "Anna" });
  assert.deepEqual(await gone.read(), { "USER.md": "Anna" });
  // USER.md is listed, then removed before its look (while SOUL.md is read).
  await write();
  const listed = new SoulFiles(d.dir, { now: removingOnce(`${d.dir}/USER.md`) });
  assert.deepEqual(await listed.read(), { "SOUL.md": "Warm." });
});

Deno.test("through the runtime: a soul file edited between two turns is in the second turn's prompt", async () => {
  await using llm = await startFakeOpenAI({ fallback: { text: "ok" } });
  const home = await Deno.makeTempDir({ prefix: "kafclaw-soul-runtime-" });
  try {
    await Deno.mkdir(`${home}/soul`, { recursive: true });
    await Deno.writeTextFile(`${home}/soul/SOUL.md`, "Answer in English.");
    await using runtime = await agentRuntime(home, { agentId: "local", llm });
    const system = () =>
      (llm.chatRequests().at(-1)!.body as { messages: { content: string }[] }).messages[0]!
        .content;
    await runtime.door.enter({ source: { kind: "terminal" }, text: "Hello there" });
    assert.match(system(), /# SOUL\.md\n\nAnswer in English\./);
    // At once, keeping the size: the turn right after must see it.
    await Deno.writeTextFile(`${home}/soul/SOUL.md`, "Answer in French.");
    await runtime.door.enter({ source: { kind: "terminal" }, text: "Hello again" });
    assert.match(system(), /# SOUL\.md\n\nAnswer in French\./);
    await Deno.remove(`${home}/soul/SOUL.md`);
    await runtime.door.enter({ source: { kind: "terminal" }, text: "And now?" });
    assert.doesNotMatch(system(), /# SOUL\.md/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a soul folder that is a file, or a soul file that is a folder, fails the read with its error", async () => {
  await using d = await soulDir();
  await Deno.writeTextFile(`${d.dir}/not-a-folder`, "x");
  await assert.rejects(new SoulFiles(`${d.dir}/not-a-folder`).read(), Error);
  await Deno.mkdir(`${d.dir}/SOUL.md`);
  await assert.rejects(new SoulFiles(d.dir).read(), Deno.errors.IsADirectory);
});
