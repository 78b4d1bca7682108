import assert from "node:assert/strict";
import { HISTORY_LINES, loadHistory, saveHistory } from "../../../cli/_line_history.ts";

Deno.test("the line history is written 0600, the newest last, bounded, and read back newest first", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/history`;
    const newestFirst = Array.from({ length: HISTORY_LINES + 20 }, (_, i) => `line ${i}`);
    saveHistory(path, newestFirst);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
    assert.equal(lines.length, HISTORY_LINES);
    assert.equal(lines.at(-1), "line 0", "the newest last");
    assert.deepEqual(
      loadHistory(path, () => assert.fail("no warning")),
      newestFirst.slice(0, HISTORY_LINES),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a history file others could read is made 0600 again when written", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/history`;
    await Deno.writeTextFile(path, "old\n", { mode: 0o644 });
    await Deno.chmod(path, 0o644);
    saveHistory(path, ["new", "old"]);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal(await Deno.readTextFile(path), "old\nnew\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing history is empty without a word; an unreadable one is empty with one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const warnings: string[] = [];
    const warn = (m: string) => void warnings.push(m);
    assert.deepEqual(loadHistory(`${dir}/none`, warn), []);
    assert.deepEqual(warnings, []);
    assert.deepEqual(loadHistory(dir, warn), []);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^Cannot read the line history from /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
