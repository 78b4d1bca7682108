/**
 * The bound of a running task (core/group task_deadline.ts): its deadline plus the clock skew,
 * on the clock it is given.
 */
import assert from "node:assert/strict";
import { TaskDeadline } from "../../../../core/group/task_deadline.ts";

Deno.test("a task's bound is reached only past its deadline and the skew, and then aborts", async () => {
  const deadline = new Date(Date.now() + 40);
  const bound = new TaskDeadline(deadline, 60);
  assert.equal(bound.passed, false);
  await bound.reached;
  assert.ok(Date.now() >= deadline.getTime() + 60, "not before the deadline and the skew");
  assert.equal(bound.passed, true);
  assert.equal(bound.signal.aborted, true);
  assert.equal(
    bound.reason,
    `its deadline ${deadline.toISOString()} passed (with 60 ms allowed for clock skew) ` +
      "before it was done",
  );
});

Deno.test("a bound measured on a clock that is past it is reached at once", () => {
  const deadline = new Date("2026-01-15T10:00:00Z");
  const late = new TaskDeadline(deadline, 120_000, () => Date.parse("2026-01-15T10:02:00Z"));
  assert.equal(late.passed, true);
  const early = new TaskDeadline(deadline, 120_000, () => Date.parse("2026-01-15T10:01:59Z"));
  assert.equal(early.passed, false);
  early.cancel();
});
