import assert from "node:assert/strict";
import { MemoryReplayStore, type ReplayStore } from "../../../../core/protocol/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import { tempTimeline } from "./_helpers.ts";

Deno.test("settings are set, replaced, listed and deleted", async () => {
  await using t = await tempTimeline();
  const settings = t.timeline.settings;
  assert.equal(settings.get("daily_token_limit"), undefined);
  settings.set("daily_token_limit", "1000");
  settings.set("daily_token_limit", "2000");
  settings.set("approval_timeout_seconds", "60");
  assert.equal(settings.get("daily_token_limit"), "2000");
  assert.deepEqual(
    [...settings.all()],
    [["approval_timeout_seconds", "60"], ["daily_token_limit", "2000"]],
  );
  assert.equal(settings.delete("daily_token_limit"), true);
  assert.equal(settings.delete("daily_token_limit"), false);
  assert.equal(settings.get("daily_token_limit"), undefined);
});

Deno.test("the replay table refuses a seen id until it expires, per sender", async () => {
  await using t = await tempTimeline();
  const replay: ReplayStore & Timeline["replay"] = t.timeline.replay;
  assert.equal(replay.remember("alice", "ab12", { expiresAt: 2_000, now: 1_000 }), true);
  assert.equal(replay.remember("alice", "ab12", { expiresAt: 3_000, now: 1_500 }), false);
  assert.equal(replay.remember("bob", "ab12", { expiresAt: 2_000, now: 1_500 }), true);
  assert.equal(replay.remember("alice", "ab12", { expiresAt: 4_000, now: 2_000 }), true);
  assert.equal(replay.remember("alice", "ab12", { expiresAt: 5_000, now: 3_999 }), false);
  assert.equal(replay.count(), 2);
  assert.equal(replay.purgeExpired(2_000), 1);
  assert.equal(replay.count(), 1);
  assert.equal(replay.purgeExpired(2_000), 0);
});

Deno.test("the SQLite replay table answers like the in-memory one", async () => {
  await using t = await tempTimeline();
  const memory = new MemoryReplayStore();
  const steps: [string, string, number, number][] = [
    ["a", "1", 100, 0],
    ["a", "1", 150, 50],
    ["a", "2", 120, 60],
    ["a", "1", 300, 100],
    ["b", "1", 300, 100],
    ["a", "2", 400, 119],
    ["a", "2", 400, 120],
  ];
  for (const [sender, id, expiresAt, now] of steps) {
    assert.equal(
      t.timeline.replay.remember(sender, id, { expiresAt, now }),
      memory.remember(sender, id, { expiresAt, now }),
      `${sender}/${id} at ${now}`,
    );
  }
});

Deno.test("the SQLite replay table lets an id through again at its place only, like the in-memory one", async () => {
  await using t = await tempTimeline();
  const memory = new MemoryReplayStore();
  const steps: [string, string, number, number, string | undefined][] = [
    ["a", "1", 100, 0, "t@0:7"],
    ["a", "1", 100, 10, "t@0:7"],
    ["a", "1", 100, 20, "t@0:8"],
    ["a", "1", 100, 30, undefined],
    ["a", "2", 100, 40, undefined],
    ["a", "2", 100, 50, undefined],
    ["a", "2", 100, 60, "t@0:9"],
    ["a", "1", 300, 100, "t@0:8"],
    ["a", "1", 300, 110, "t@0:8"],
    ["a", "1", 300, 120, "t@0:7"],
  ];
  const answers = steps.map(([sender, id, expiresAt, now, place]) => {
    const sqlite = t.timeline.replay.remember(sender, id, { expiresAt, now }, place);
    assert.equal(
      sqlite,
      memory.remember(sender, id, { expiresAt, now }, place),
      `${sender}/${id} at ${now} from ${place}`,
    );
    return sqlite;
  });
  assert.deepEqual(answers, [true, true, false, false, true, false, false, true, true, false]);
});

Deno.test("a replay id seen through one connection is a replay through another", async () => {
  await using t = await tempTimeline();
  using other = Timeline.open(t.path);
  assert.equal(t.timeline.replay.remember("a", "x", { expiresAt: 10, now: 1 }), true);
  assert.equal(other.replay.remember("a", "x", { expiresAt: 10, now: 2 }), false);
  assert.equal(t.timeline.replay.remember("a", "y", { expiresAt: 10, now: 1 }, "t@0:1"), true);
  assert.equal(other.replay.remember("a", "y", { expiresAt: 10, now: 2 }, "t@0:1"), true);
  assert.equal(other.replay.remember("a", "y", { expiresAt: 10, now: 2 }, "t@0:2"), false);
});
