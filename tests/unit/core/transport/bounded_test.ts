import assert from "node:assert/strict";
import { bounded, Wakeable } from "../../../../core/transport/bounded.ts";

Deno.test("a wake ends every wait begun before it, and none begun after", async () => {
  const waits = new Wakeable();
  const ended: string[] = [];
  const sleeping = waits.sleep(60_000).then(() => void ended.push("sleep"));
  const waiting = waits.untilWoken().then(() => void ended.push("wait"));
  waits.wake();
  await Promise.all([sleeping, waiting]);
  assert.deepEqual(ended.sort(), ["sleep", "wait"]);
  const later = waits.untilWoken();
  assert.equal(await bounded(later, 20), false, "a wait begun after the wake goes on");
  waits.wake();
  await later;
});

Deno.test("a sleep ends by itself after its time", async () => {
  await new Wakeable().sleep(1);
});
