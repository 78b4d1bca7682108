/** Per-author quotas of shared memory: items and bytes within a sliding window. */
import assert from "node:assert/strict";
import { AuthorQuotas } from "../../../../core/group/mod.ts";

Deno.test("an author over its item quota is refused until the window moves on; others are not", () => {
  const quotas = new AuthorQuotas({ items: 2, bytes: 1_000, windowMs: 60_000 });
  assert.equal(quotas.charge("ann", { bytes: 10, newItem: true }, 0), undefined);
  assert.equal(quotas.charge("ann", { bytes: 10, newItem: true }, 1_000), undefined);
  // More parts of an item already counted are not a new item.
  assert.equal(quotas.charge("ann", { bytes: 10, newItem: false }, 2_000), undefined);
  assert.equal(
    quotas.charge("ann", { bytes: 10, newItem: true }, 3_000),
    "ann already shared 2 items in 1 min (quota 2)",
  );
  assert.equal(quotas.charge("bob", { bytes: 10, newItem: true }, 3_000), undefined);
  assert.equal(quotas.charge("ann", { bytes: 10, newItem: true }, 60_500), undefined);
});

Deno.test("an author over its byte quota is refused, and what was refused is not charged", () => {
  const quotas = new AuthorQuotas({ items: 100, bytes: 100, windowMs: 10_000 });
  assert.equal(quotas.charge("ann", { bytes: 60, newItem: true }, 0), undefined);
  assert.equal(
    quotas.charge("ann", { bytes: 50, newItem: true }, 1),
    "ann would share 110 bytes in 0 min (quota 100)",
  );
  assert.equal(quotas.charge("ann", { bytes: 40, newItem: true }, 2), undefined);
  assert.match(quotas.charge("ann", { bytes: 1, newItem: false }, 3) ?? "", /101 bytes/);
  assert.equal(quotas.charge("ann", { bytes: 100, newItem: true }, 10_003), undefined);
});

Deno.test("an item larger than the whole byte quota is refused even from an author who shared nothing yet", () => {
  const quotas = new AuthorQuotas({ items: 10, bytes: 100, windowMs: 60_000 });
  assert.equal(
    quotas.charge("ann", { bytes: 101, newItem: true }, 0),
    "ann would share 101 bytes in 1 min (quota 100)",
  );
  // Nothing was charged: a small item still goes.
  assert.equal(quotas.charge("ann", { bytes: 100, newItem: true }, 1), undefined);
});
