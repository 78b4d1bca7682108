import assert from "node:assert/strict";
import { within } from "../../../../core/group/_within.ts";

Deno.test("within: the value when it comes first, undefined after the time or on abort", async () => {
  const signal = new AbortController().signal;
  assert.equal(await within(Promise.resolve(7), 1000, signal), 7);
  assert.equal(await within(new Promise(() => {}), 10, signal), undefined);
  assert.equal(await within(Promise.resolve(7), 0, signal), undefined);
  const stop = new AbortController();
  const pending = within(new Promise(() => {}), 10_000, stop.signal);
  stop.abort();
  assert.equal(await pending, undefined);
  assert.equal(await within(Promise.resolve(7), 1000, stop.signal), undefined);
});
