import assert from "node:assert/strict";
import { terminalSafe } from "../../../cli/_io.ts";

/** What may act on a terminal: every control character but tab and newline, and reordering marks. */
// deno-lint-ignore no-control-regex
const ACTS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

Deno.test("nothing printed can act on the terminal: escapes, carriage returns, reordering marks", () => {
  const attacks = [
    "\x1b]52;c;cm0gLXJmIH4=\x07", // OSC 52: write the clipboard
    "\x1b[2K\x1b[1A\x1b[32mApproved by owner\x1b[0m", // erase, move up, colour
    "\x9b2J", // a C1 CSI
    "done\rApproved", // overwrite the line
    "\x1b]0;title\x1b\\", // window title
    "abc\u202edcba", // right-to-left override
    "x\u2066y\u2069\u200f\u061c",
    "\x00\x07\x08\x7f",
  ];
  for (const attack of attacks) {
    const safe = terminalSafe(attack);
    assert.doesNotMatch(safe, ACTS);
  }
  assert.equal(terminalSafe("a\x1b[1Ab"), "a\\x1b[1Ab", "what was written is shown");
  assert.equal(terminalSafe("r\u202el"), "r\\u{202e}l");
  assert.equal(terminalSafe("done\rok"), "done\\x0dok");
  assert.equal(
    terminalSafe("lines\nand\ttabs, ünïcödé, 漢字 ✓"),
    "lines\nand\ttabs, ünïcödé, 漢字 ✓",
  );
});
