/**
 * The run tag a consumer carries in its group metadata, and the decision built on it: only a
 * member this process can prove dead (its run folder here unlocked, or its pid gone in this PID
 * namespace, or this very pid from an earlier run) is left behind; any doubt counts as live.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import kafkajs from "kafkajs";
import { RunDir, runDirAlive } from "../../../../core/agent/mod.ts";
import { memberRunTag } from "../../../../core/transport/leftover_members.ts";
import {
  decodeRunTag,
  encodeRunTag,
  leftBehind,
  type RunTag,
  thisRun,
} from "../../../../core/transport/run_tag.ts";

const me: RunTag = { host: "h1", ns: "pid:[1]", pid: 100, run: "now" };
const dead = () => false;
const running = () => true;

Deno.test("a run tag travels in a member's metadata and comes back whole; anything else is no tag", () => {
  const tag: RunTag = { ...me, home: "/home/a", homeId: "1:2", dir: "sandbox-x" };
  const metadata = kafkajs.AssignerProtocol.MemberMetadata.encode({
    version: 0,
    topics: ["t"],
    userData: Buffer.from(encodeRunTag(tag)),
  });
  assert.deepEqual(memberRunTag(metadata), tag);
  assert.equal(decodeRunTag(new TextEncoder().encode('{"host":"h","pid":1,"run":"r"}')), undefined);
  assert.equal(
    decodeRunTag(new TextEncoder().encode('kafclaw-run:{"host":"h","pid":-1}')),
    undefined,
  );
  assert.equal(decodeRunTag(new TextEncoder().encode("kafclaw-run:{not json")), undefined);
  assert.equal(decodeRunTag(new Uint8Array([0xff, 0xfe])), undefined);
  assert.equal(memberRunTag(Buffer.from([1, 2, 3])), undefined);
  assert.equal(encodeRunTag(undefined).length, 0);
  const self = thisRun();
  assert.equal(self?.pid, Deno.pid);
  assert.equal(thisRun()?.run, self?.run, "one run id per process");
});

Deno.test("a member is left behind only when its process is proven gone on this host", async () => {
  // Its pid is gone in this PID namespace.
  assert.equal(await leftBehind({ ...me, pid: 7, run: "old" }, me, { pidRuns: dead }), true);
  assert.equal(await leftBehind({ ...me, pid: 7, run: "old" }, me, { pidRuns: running }), false);
  // This process's own pid, from an earlier run (a container restarted as pid 1).
  assert.equal(await leftBehind({ ...me, run: "old" }, me, { pidRuns: running }), true);
  assert.equal(await leftBehind(me, me, { pidRuns: dead }), false, "this very run");
  // Doubt is live: another host, another PID namespace, no namespace, no tag, cannot tell.
  assert.equal(await leftBehind({ ...me, host: "h2", pid: 7 }, me, { pidRuns: dead }), false);
  assert.equal(await leftBehind({ ...me, ns: "pid:[2]", pid: 7 }, me, { pidRuns: dead }), false);
  const { ns: _, ...noNs } = me;
  assert.equal(await leftBehind({ ...noNs, pid: 7 }, noNs, { pidRuns: dead }), false);
  assert.equal(await leftBehind(undefined, me, { pidRuns: dead }), false);
  assert.equal(await leftBehind({ ...me, pid: 7 }, undefined, { pidRuns: dead }), false);
  assert.equal(await leftBehind({ ...me, pid: 7 }, me, { pidRuns: () => undefined }), false);
});

Deno.test("a member naming a run folder of this host is left behind once nobody holds its lock", async () => {
  const home = await Deno.makeTempDir();
  try {
    const { dev, ino } = await Deno.stat(home);
    const { ns: _, ...noNs } = me;
    const run = await RunDir.claim(home);
    const tag: RunTag = {
      ...noNs,
      pid: 7,
      run: "old",
      home,
      homeId: `${dev}:${ino}`,
      dir: run.name,
    };
    const live = { folderAlive: runDirAlive, pidRuns: dead };
    assert.equal(await leftBehind(tag, noNs, live), false, "its process holds the lock");
    await run.close();
    assert.equal(await leftBehind(tag, noNs, live), true, "the folder is gone with its process");
    // A killed process leaves its folder, unlocked.
    await Deno.mkdir(`${home}/run/sandbox-killed`);
    await Deno.writeTextFile(`${home}/run/sandbox-killed/.alive`, "");
    const killed = { ...tag, dir: "sandbox-killed" };
    assert.equal(await leftBehind(killed, noNs, live), true, "nobody holds its lock");
    // A folder of the same path that is not the one the member named (another machine's view).
    assert.equal(await leftBehind({ ...tag, homeId: "0:0" }, noNs, live), false);
    assert.equal(await leftBehind({ ...tag, host: "h2" }, noNs, live), false);
    // A folder check that fails counts as live.
    const failing = { folderAlive: () => Promise.reject(new Error("denied")) };
    assert.equal(await leftBehind(tag, noNs, failing), false);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
