/**
 * The run tag a consumer carries in its group metadata, and the decision built on it: only a
 * member this process can prove dead (its run folder in this very home unlocked; or, of this
 * host, boot and PID namespace, its pid gone, or running a process that started at another time,
 * or this very pid from an earlier run) is left behind; any doubt counts as live. The tag itself
 * says nothing of where its process runs: no host name, no path.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import kafkajs from "kafkajs";
import { RunDir, runDirAlive } from "../../../../core/agent/mod.ts";
import { memberRunTag } from "../../../../core/transport/leftover_members.ts";
import { processFacts } from "../../../../core/transport/process_facts.ts";
import {
  encodeRunTag,
  homeKey,
  leftBehind,
  placeKey,
  type RunTag,
  type ThisRun,
  thisRun,
} from "../../../../core/transport/run_tag.ts";

const me: ThisRun = { host: "h1", tag: { run: "now", pid: 100, start: "500", place: "P1" } };
const gone = () => null;

/** `tag` without `field`. */
function without(tag: RunTag, field: "start" | "place"): RunTag {
  const copy: Partial<RunTag> = { ...tag };
  delete copy[field];
  return copy as RunTag;
}

/** `run` with a tag that has no place (where none can be read). */
function placeless(run: ThisRun): ThisRun {
  return { ...run, tag: without(run.tag, "place") };
}
const startedAt = (start: string) => () => start;

function metadataOf(userData: Uint8Array): Buffer {
  return kafkajs.AssignerProtocol.MemberMetadata.encode({
    version: 0,
    topics: ["t"],
    userData: Buffer.from(userData),
  });
}

Deno.test("the tag another member reads names no host, home or PID namespace, and comes back whole", async () => {
  const home = await Deno.makeTempDir();
  try {
    const run = thisRun({ home, name: "sandbox-abc" })!;
    assert.equal(run.tag.pid, Deno.pid);
    assert.equal(run.tag.dir, "sandbox-abc");
    const text = new TextDecoder().decode(encodeRunTag(run.tag));
    // The hashes and the run id are random text, where a short host name may occur by chance.
    let rest = text;
    for (const opaque of [run.tag.run, run.tag.place, run.tag.home]) {
      rest = rest.replace(opaque ?? "", "");
    }
    for (const secret of [Deno.hostname(), home, home.split("/").pop()!, "pid:["]) {
      assert.equal(rest.includes(secret), false, `${JSON.stringify(secret)} in ${text}`);
    }
    if (Deno.build.os === "linux") {
      assert.deepEqual(Object.keys(run.tag).sort(), [
        "dir",
        "home",
        "pid",
        "place",
        "run",
        "start",
      ]);
    }
    assert.deepEqual(memberRunTag(metadataOf(encodeRunTag(run.tag))), run.tag);
    assert.equal(thisRun()?.tag.run, run.tag.run, "one run id per process");
    assert.equal(encodeRunTag(undefined).length, 0);
    // The home's secret is the owner's alone, and the same for every process of the home.
    const key = await Deno.stat(join(home, "run", "tag-key"));
    assert.equal(key.mode! & 0o777, 0o600);
    assert.equal(homeKey(home, Deno.hostname()), run.tag.home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("on Linux this process reads its start time, its boot and its PID namespace", () => {
  if (Deno.build.os !== "linux") return;
  const facts = processFacts();
  const run = thisRun()!;
  assert.match(run.tag.start ?? "", /^[0-9]+$/);
  assert.equal(facts.processStart(Deno.pid), run.tag.start);
  assert.equal(run.tag.place, placeKey(Deno.hostname(), facts));
  assert.notEqual(placeKey("another-host", facts), run.tag.place);
  // A pid nobody runs (above any pid_max) is no process.
  assert.equal(facts.processStart(0x7ffffff0), null);
});

Deno.test("a member is left behind only when its process is proven gone in this place", async () => {
  const tag = (more: Partial<RunTag>): RunTag => ({ ...me.tag, run: "old", pid: 7, ...more });
  assert.equal(await leftBehind(tag({}), me, { processStart: gone }), true, "its pid is gone");
  assert.equal(
    await leftBehind(tag({ start: "42" }), me, { processStart: startedAt("42") }),
    false,
    "its process runs",
  );
  assert.equal(
    await leftBehind(tag({ start: "42" }), me, { processStart: startedAt("9000") }),
    true,
    "its pid runs another process",
  );
  assert.equal(
    await leftBehind(without(tag({}), "start"), me, { processStart: startedAt("9000") }),
    false,
    "a pid that runs, with no start time to compare, may be it",
  );
  // This process's own pid, from an earlier run (a container restarted as pid 1).
  assert.equal(await leftBehind(tag({ pid: 100 }), me, { processStart: startedAt("500") }), true);
  assert.equal(await leftBehind(me.tag, me, { processStart: gone }), false, "this very run");
  // Doubt is live: another place, no place, no tag, cannot tell.
  assert.equal(await leftBehind(tag({ place: "P2" }), me, { processStart: gone }), false);
  assert.equal(await leftBehind(without(tag({}), "place"), me, { processStart: gone }), false);
  assert.equal(await leftBehind(tag({}), placeless(me), { processStart: gone }), false);
  assert.equal(await leftBehind(undefined, me, { processStart: gone }), false);
  assert.equal(await leftBehind(tag({}), undefined, { processStart: gone }), false);
  assert.equal(await leftBehind(tag({}), me, { processStart: () => undefined }), false);
});

Deno.test("a tag whose pid now runs an unrelated process (another start time) is taken as dead", async () => {
  if (Deno.build.os !== "linux") return;
  const run = thisRun()!;
  // The parent of this test process lives; the tag says its pid started at another time.
  const parent = processFacts().processStart(Deno.ppid);
  assert.match(parent ?? "", /^[0-9]+$/);
  const reused: RunTag = { ...run.tag, run: "dead-run", pid: Deno.ppid, start: "1" };
  assert.equal(await leftBehind(reused, run), true);
  // The same pid with its real start time is that very process: live.
  assert.equal(await leftBehind({ ...reused, start: parent! }, run), false);
});

Deno.test("a member naming a run folder of this very home is left behind once nobody holds its lock", async () => {
  const home = await Deno.makeTempDir();
  const other = await Deno.makeTempDir();
  try {
    const run = await RunDir.claim(home);
    const mine = thisRun({ home, name: "sandbox-mine" })!;
    // No place: only the folder can tell.
    const noPlace = placeless(mine);
    const tag: RunTag = { run: "old", pid: 7, home: mine.tag.home!, dir: run.name };
    const live = { folderAlive: runDirAlive, processStart: gone };
    assert.equal(await leftBehind(tag, noPlace, live), false, "its process holds the lock");
    await run.close();
    assert.equal(await leftBehind(tag, noPlace, live), true, "the folder is gone with its process");
    // A killed process leaves its folder, unlocked.
    await Deno.mkdir(join(home, "run", "sandbox-killed"));
    await Deno.writeTextFile(join(home, "run", "sandbox-killed", ".alive"), "");
    const killed = { ...tag, dir: "sandbox-killed" };
    assert.equal(await leftBehind(killed, noPlace, live), true, "nobody holds its lock");
    // Another home (its own secret), or this home's secret copied next to another folder.
    const elsewhere = thisRun({ home: other, name: "sandbox-x" })!;
    assert.notEqual(elsewhere.tag.home, mine.tag.home);
    assert.equal(
      await leftBehind(killed, placeless(elsewhere), live),
      false,
    );
    await Deno.copyFile(join(home, "run", "tag-key"), join(other, "run", "tag-key"));
    assert.notEqual(homeKey(other, Deno.hostname()), mine.tag.home, "a copied home is another");
    assert.notEqual(homeKey(home, "h2"), mine.tag.home, "the same path seen from another host");
    // A folder check that fails counts as live.
    const failing = { folderAlive: () => Promise.reject(new Error("denied")) };
    assert.equal(await leftBehind(killed, noPlace, failing), false);
  } finally {
    await Deno.remove(home, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});
