import assert from "node:assert/strict";
import { tempTimeline } from "./_helpers.ts";

const T0 = new Date("2026-11-25T10:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

Deno.test("a session lease has one holder until it is released or runs out", async () => {
  await using t = await tempTimeline();
  const leases = t.timeline.sessionLeases;
  assert.equal(leases.holder("cli:s"), undefined);
  assert.equal(leases.take("cli:s", { owner: "a", until: at(30_000), now: T0 }), true);
  assert.deepEqual(leases.holder("cli:s"), { owner: "a", until: at(30_000) });
  assert.equal(leases.take("cli:s", { owner: "b", until: at(40_000), now: at(1000) }), false);
  assert.equal(leases.take("cli:other", { owner: "b", until: at(40_000), now: T0 }), true);
  // The holder extends its own lease.
  assert.equal(leases.take("cli:s", { owner: "a", until: at(60_000), now: at(20_000) }), true);
  assert.equal(leases.take("cli:s", { owner: "b", until: at(90_000), now: at(59_999) }), false);
  // Run out: anyone may take it.
  assert.equal(leases.take("cli:s", { owner: "b", until: at(90_000), now: at(60_000) }), true);
  assert.equal(leases.holder("cli:s")?.owner, "b");
  assert.equal(leases.release("cli:s", "a"), false, "only the holder releases");
  assert.equal(leases.release("cli:s", "b"), true);
  assert.equal(leases.holder("cli:s"), undefined);
});

Deno.test("a lease whose holder is known to be gone is taken before it runs out", async () => {
  await using t = await tempTimeline();
  const leases = t.timeline.sessionLeases;
  leases.take("cli:s", { owner: "dead", until: at(30_000), now: T0 });
  assert.equal(
    leases.take("cli:s", { owner: "b", until: at(30_000), now: T0, replacing: "someone else" }),
    false,
    "only from the holder named",
  );
  assert.equal(
    leases.take("cli:s", { owner: "b", until: at(30_000), now: T0, replacing: "dead" }),
    true,
  );
  assert.equal(leases.holder("cli:s")?.owner, "b");
});
