import assert from "node:assert/strict";
import { Cancelled, Terminated } from "../../../cli/_errors.ts";
import { type StopSignal, unlessStopped } from "../../../cli/_starting.ts";

const never = () => new Promise<never>(() => {});

/** A start and a stop signal that the test settles by hand, and what was closed. */
function setting() {
  const start = Promise.withResolvers<string>();
  const stop = Promise.withResolvers<StopSignal>();
  const closed: string[] = [];
  const run = (graceMs = 60_000) =>
    unlessStopped(start.promise, stop.promise, {
      doing: "starting the test",
      close: (made) => Promise.resolve(closed.push(made)),
      graceMs,
    });
  return { start, stop, closed, run };
}

Deno.test("a start that ends before any signal gives its result, or its error, and closes nothing", async () => {
  const ok = setting();
  const running = ok.run();
  ok.start.resolve("made");
  assert.equal(await running, "made");
  const failed = setting();
  const failing = failed.run();
  failed.start.reject(new Error("no broker"));
  await assert.rejects(failing, /^Error: no broker$/);
  assert.deepEqual([...ok.closed, ...failed.closed], []);
});

Deno.test("SIGINT while starting: what the start made later is closed, then Cancelled says so", async () => {
  const { start, stop, closed, run } = setting();
  const running = run();
  stop.resolve("SIGINT");
  start.resolve("made");
  await assert.rejects(running, (error) => {
    assert.ok(error instanceof Cancelled);
    assert.equal(error.message, "stopped (SIGINT) while starting the test");
    return true;
  });
  assert.deepEqual(closed, ["made"]);
});

Deno.test("SIGTERM while a start never ends: Terminated once the grace is over, nothing closed", async () => {
  const closed: unknown[] = [];
  const running = unlessStopped(never(), Promise.resolve("SIGTERM" as const), {
    doing: 'joining group "g"',
    close: (made) => Promise.resolve(closed.push(made)),
    graceMs: 10,
  });
  await assert.rejects(running, (error) => {
    assert.ok(error instanceof Terminated);
    assert.equal(error.message, 'stopped (SIGTERM) while joining group "g"');
    return true;
  });
  assert.deepEqual(closed, []);
});

Deno.test("a start that fails after the signal still ends the command as stopped", async () => {
  const { start, stop, closed, run } = setting();
  const running = run();
  stop.resolve("SIGINT");
  start.reject(new Error("gave up"));
  await assert.rejects(running, Cancelled);
  assert.deepEqual(closed, []);
});
