import assert from "node:assert/strict";
import { MemoryReplayStore, replayId } from "../../../../core/protocol/mod.ts";

Deno.test("a replay id is the SHA-256 hex of the signed bytes", async () => {
  assert.equal(
    await replayId(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("the memory replay store refuses an id it remembers until it expires", () => {
  const store = new MemoryReplayStore();
  assert.equal(store.remember("alice", "id1", { expiresAt: 2000, now: 1000 }), true);
  assert.equal(store.remember("alice", "id1", { expiresAt: 2000, now: 1999 }), false);
  assert.equal(store.remember("alice", "id1", { expiresAt: 4000, now: 2000 }), true);
  assert.equal(store.remember("alice", "id1", { expiresAt: 4000, now: 3000 }), false);
});

Deno.test("replay ids are kept per sender", () => {
  const store = new MemoryReplayStore();
  assert.equal(store.remember("alice", "same", { expiresAt: 2000, now: 1000 }), true);
  assert.equal(store.remember("bob", "same", { expiresAt: 2000, now: 1000 }), true);
  assert.equal(store.remember("bob", "same", { expiresAt: 2000, now: 1000 }), false);
  assert.equal(store.size, 2);
});

Deno.test("expired ids are dropped as new ones arrive, oldest first", () => {
  const store = new MemoryReplayStore();
  for (let i = 0; i < 100; i++) store.remember("alice", `id${i}`, { expiresAt: 1000 + i, now: 0 });
  assert.equal(store.size, 100);
  store.remember("alice", "late", { expiresAt: 5000, now: 1050 });
  assert.equal(store.size, 50);
  // An entry that expires early behind a long-lived one waits, but is never mistaken for live.
  store.remember("bob", "long", { expiresAt: 10_000, now: 0 });
  store.remember("bob", "short", { expiresAt: 100, now: 0 });
  store.remember("bob", "other", { expiresAt: 10_000, now: 200 });
  assert.equal(store.remember("bob", "short", { expiresAt: 300, now: 200 }), true);
});

Deno.test("an id met again at the place it was remembered at is a redelivery, elsewhere a replay", () => {
  const store = new MemoryReplayStore();
  const at = (now: number) => ({ expiresAt: 2000, now });
  assert.equal(store.remember("alice", "id1", at(1000), "t@0:7"), true);
  assert.equal(store.remember("alice", "id1", at(1100), "t@0:7"), true);
  assert.equal(store.remember("alice", "id1", at(1200), "t@0:7"), true);
  assert.equal(store.remember("alice", "id1", at(1300), "t@0:8"), false);
  assert.equal(store.remember("alice", "id1", at(1400), "t@1:7"), false);
  assert.equal(store.remember("alice", "id1", at(1500)), false);
  // Remembered without a place, it has none to be met at again.
  assert.equal(store.remember("bob", "id2", at(1000)), true);
  assert.equal(store.remember("bob", "id2", at(1100), "t@0:7"), false);
  assert.equal(store.size, 2);
});
