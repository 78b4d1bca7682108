import assert from "node:assert/strict";
import { BoundedExecutor } from "../../../../core/transport/mod.ts";

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => open = r);
  return { open, opened };
}

Deno.test("the executor runs at most its capacity and refuses more until a slot frees", async () => {
  const errors: unknown[] = [];
  const ex = new BoundedExecutor(2, (e) => errors.push(e));
  const a = gate();
  const b = gate();
  ex.submit(() => a.opened);
  assert.equal(ex.full, false);
  ex.submit(() => b.opened);
  assert.equal(ex.full, true);
  assert.equal(ex.running, 2);
  assert.throws(() => ex.submit(() => Promise.resolve()), /Executor is full/);
  let freed = false;
  const free = ex.whenFree().then(() => freed = true);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(freed, false);
  a.open();
  await free;
  assert.equal(ex.running, 1);
  await ex.whenFree(); // not full: resolves at once
  b.open();
  await ex.idle();
  await ex.idle(); // idle: resolves at once
  assert.equal(ex.running, 0);
  assert.deepEqual(errors, []);
});

Deno.test("a failing or throwing task is reported and frees its slot", async () => {
  const errors: string[] = [];
  const ex = new BoundedExecutor(1, (e) => errors.push((e as Error).message));
  ex.submit(() => Promise.reject(new Error("rejected")));
  await ex.idle();
  ex.submit(() => {
    throw new Error("thrown");
  });
  await ex.idle();
  assert.deepEqual(errors, ["rejected", "thrown"]);
  assert.equal(ex.full, false);
});

Deno.test("an executor needs a positive whole capacity", () => {
  for (const bad of [0, -1, 1.5, NaN]) {
    assert.throws(() => new BoundedExecutor(bad, () => {}), RangeError);
  }
});
