import assert from "node:assert/strict";
import { CHAIN_LIMIT, chainMessages, errorChain } from "../../../../core/errors/mod.ts";
import { isSaslFailure } from "../../../../kshark/kafka_client.ts";
import { diskFullError } from "../../../../core/timeline/mod.ts";

/** An error that wraps itself through one other: a → b → a. */
function looped(): Error {
  const a = new Error("outer");
  const b = new Error("inner", { cause: a });
  Object.defineProperty(a, "cause", { value: b });
  return a;
}

Deno.test("an error's chain follows cause, then kafkajs's originalError, outermost first", () => {
  const socket = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
  const attempt = Object.assign(new Error("Connection error"), { originalError: socket });
  const retries = new Error("retries exceeded", { cause: attempt });
  assert.deepEqual(chainMessages(retries), [
    "retries exceeded",
    "Connection error",
    "connect ECONNREFUSED",
  ]);
  assert.equal(errorChain(retries)[2]?.code, "ECONNREFUSED");
  // Both kept: a wrapper whose cause and originalError differ gives each.
  const both = Object.assign(new Error("both", { cause: new Error("c") }), {
    originalError: new Error("o"),
  });
  assert.deepEqual(chainMessages(both), ["both", "c", "o"]);
  // An aggregate's errors, in their order, each with what it wraps, after the aggregate's cause.
  const aggregate = new AggregateError(
    [new Error("first", { cause: new Error("under first") }), new Error("second")],
    "all failed",
    { cause: new Error("why") },
  );
  assert.deepEqual(chainMessages(aggregate), [
    "all failed",
    "why",
    "first",
    "under first",
    "second",
  ]);
});

Deno.test("a chain that loops back on itself ends, and a long one is cut at its limit", () => {
  assert.deepEqual(chainMessages(looped()), ["outer", "inner"]);
  let deep: Error = new Error("0");
  for (let i = 1; i < 50; i++) deep = new Error(String(i), { cause: deep });
  assert.equal(errorChain(deep).length, CHAIN_LIMIT);
  assert.deepEqual(errorChain("a thrown string"), []);
  assert.deepEqual(chainMessages({ message: 42, cause: new Error("text") }), ["text"]);
});

Deno.test("readers that look past the outermost error end on a looped chain", () => {
  // Before one walker served them all, kshark's SASL check went round such a chain for ever.
  assert.equal(isSaslFailure(looped()), false);
  const login = Object.assign(new Error("wrapped"), {
    originalError: Object.assign(new Error("x"), { name: "KafkaJSSASLAuthenticationError" }),
  });
  assert.equal(isSaslFailure(login), true);
  // And the timeline's disk-full check, which recursed until the stack ran out.
  assert.equal(diskFullError(looped(), "/tmp"), undefined);
  const full = new Error("migration failed", { cause: new Error("database or disk is full") });
  assert.equal(diskFullError(full, "/tmp")?.name, "DiskFullError");
});
