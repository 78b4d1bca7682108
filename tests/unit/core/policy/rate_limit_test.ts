import assert from "node:assert/strict";
import { RateLimiter } from "../../../../core/policy/mod.ts";

const alice = { channel: "slack", sender: "alice" };
const bob = { channel: "slack", sender: "bob" };

function clock(start = 0) {
  const c = { t: start, now: () => c.t };
  return c;
}

Deno.test("a sender gets a burst of requestsPerMinute, then waits for the bucket to refill", () => {
  const c = clock();
  const limiter = new RateLimiter({ requestsPerMinute: 3 }, { now: c.now });
  for (let i = 0; i < 3; i++) assert.equal(limiter.take(alice).ok, true);
  assert.deepEqual(limiter.take(alice), {
    ok: false,
    code: "rate_limited",
    message: "You are sending requests too fast: the limit is 3 a minute; try again in 20 s",
    retryAfterMs: 20_000,
  });
  c.t = 19_999;
  assert.equal(limiter.take(alice).ok, false);
  c.t = 20_000;
  assert.equal(limiter.take(alice).ok, true, "one request refilled after 20 s");
  assert.equal(limiter.take(alice).ok, false);
});

Deno.test("buckets are per sender and channel", () => {
  const c = clock();
  const limiter = new RateLimiter({ requestsPerMinute: 1 }, { now: c.now });
  assert.equal(limiter.take(alice).ok, true);
  assert.equal(limiter.take(bob).ok, true);
  assert.equal(limiter.take({ channel: "telegram", sender: "alice" }).ok, true);
  const again = limiter.take(alice);
  assert.equal(
    !again.ok && again.message,
    "You are sending requests too fast: the limit is 1 a minute; try again in 1 min",
  );
});

Deno.test("the bucket refills continuously and never above the burst", () => {
  const c = clock();
  const limiter = new RateLimiter({ requestsPerMinute: 60 }, { now: c.now });
  for (let i = 0; i < 60; i++) limiter.take(alice);
  assert.equal(limiter.take(alice).ok, false);
  c.t = 10_000;
  for (let i = 0; i < 10; i++) assert.equal(limiter.take(alice).ok, true, `request ${i}`);
  assert.equal(limiter.take(alice).ok, false);
  c.t = 10_000 + 50 * 60_000;
  let granted = 0;
  while (limiter.take(alice).ok) granted++;
  assert.equal(granted, 60);
});

Deno.test("a clock that goes back does not add requests", () => {
  const c = clock(100_000);
  const limiter = new RateLimiter({ requestsPerMinute: 1 }, { now: c.now });
  assert.equal(limiter.take(alice).ok, true);
  c.t = 50_000;
  assert.equal(limiter.take(alice).ok, false);
});

Deno.test("0 requests a minute is unlimited and keeps no buckets", () => {
  const limiter = new RateLimiter({ requestsPerMinute: 0 });
  for (let i = 0; i < 1000; i++) assert.equal(limiter.take(alice).ok, true);
  assert.equal(limiter.size, 0);
});

Deno.test("buckets idle for a minute are dropped, so memory holds only recent senders", () => {
  const c = clock();
  const limiter = new RateLimiter({ requestsPerMinute: 5 }, { now: c.now });
  for (let i = 0; i < 100; i++) limiter.take({ channel: "web", sender: `s${i}` });
  assert.equal(limiter.size, 100);
  c.t = 30_000;
  limiter.take(alice);
  assert.equal(limiter.size, 101);
  c.t = 60_000;
  limiter.take(bob);
  assert.equal(limiter.size, 2, "the 100 idle buckets were full again and are gone");
  c.t = 200_000;
  limiter.take(bob);
  assert.equal(limiter.size, 1);
});

Deno.test("never more than maxKeys buckets: the least recently used goes first", () => {
  const c = clock();
  const limiter = new RateLimiter({ requestsPerMinute: 1 }, { now: c.now, maxKeys: 2 });
  limiter.take(alice);
  limiter.take(bob);
  limiter.take({ channel: "web", sender: "carol" });
  assert.equal(limiter.size, 2);
  assert.equal(limiter.take(bob).ok, false, "bob is still limited");
  assert.equal(limiter.take(alice).ok, true, "alice's bucket was evicted");
  assert.equal(new RateLimiter({ requestsPerMinute: 1 }, { maxKeys: 0 }).take(alice).ok, true);
});
