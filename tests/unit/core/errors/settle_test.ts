/** Parts started together (core/errors settle.ts): each ends before the first failure is thrown. */
import assert from "node:assert/strict";
import { settleAll } from "../../../../core/errors/mod.ts";

Deno.test("settleAll resolves once every part has, a part left out (undefined) included", async () => {
  const late = Promise.withResolvers<void>();
  let ended = false;
  const settling = settleAll([Promise.resolve(1), undefined, late.promise]).then(() =>
    ended = true
  );
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(ended, false);
  late.resolve();
  await settling;
  assert.equal(ended, true);
  await settleAll([]);
});

Deno.test("settleAll throws the first failure in the order given, once every part has ended", async () => {
  const late = Promise.withResolvers<string>();
  let lateEnded = false;
  const settling = settleAll([
    Promise.resolve("started"),
    late.promise.finally(() => (lateEnded = true)),
    Promise.reject(new Error("the second failed")),
    Promise.reject(new Error("the third failed")),
  ]);
  setTimeout(() => late.reject(new Error("the first failed, last")), 10);
  await assert.rejects(settling, /the first failed, last/);
  assert.equal(lateEnded, true, "nothing thrown before every part ended");
});
