import assert from "node:assert/strict";
import { CliError, UsageError } from "../../cli/_errors.ts";
import { reportError } from "../../main.ts";

function report(error: unknown, debug = false) {
  const lines: string[] = [];
  const code = reportError(error, debug, (s) => lines.push(s));
  return { code, text: lines.join("\n") };
}

Deno.test("a usage error exits 2 with its one-line reason", () => {
  assert.deepEqual(report(new UsageError("bad flag")), { code: 2, text: "kafclaw: bad flag" });
});

Deno.test("a runtime error exits 1; --debug adds the cause's stack", () => {
  const cause = new Error("ECONNREFUSED");
  assert.deepEqual(report(new CliError("cannot reach broker")), {
    code: 1,
    text: "kafclaw: cannot reach broker",
  });
  const debug = report(new CliError("cannot reach broker", { cause }), true);
  assert.equal(debug.code, 1);
  assert.match(debug.text, /^kafclaw: cannot reach broker\nError: ECONNREFUSED\n\s+at /);
});

Deno.test("a missing permission is named, not shown as a stack trace", () => {
  const r = report(new Deno.errors.NotCapable('Requires net access to "x:1"'));
  assert.equal(r.code, 1);
  assert.equal(
    r.text,
    'kafclaw: this subcommand lacks a permission it needs: Requires net access to "x:1"',
  );
});

Deno.test("an unexpected error shows its message and suggests --debug; --debug shows the stack", () => {
  const plain = report(new TypeError("x is undefined"));
  assert.equal(plain.code, 1);
  assert.equal(plain.text, "kafclaw: x is undefined\nkafclaw: run again with --debug for details");
  const debug = report(new TypeError("x is undefined"), true);
  assert.match(debug.text, /^kafclaw: x is undefined\nTypeError: x is undefined\n\s+at /);
  assert.equal(
    report("a string").text,
    "kafclaw: a string\nkafclaw: run again with --debug for details",
  );
});
