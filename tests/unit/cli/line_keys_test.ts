import assert from "node:assert/strict";
import { PasteSplitter, type Piece } from "../../../cli/_line_keys.ts";

const all = (chunks: string[]): Piece[] => {
  const splitter = new PasteSplitter();
  return chunks.flatMap((chunk) => splitter.push(chunk));
};

Deno.test("a bracketed paste is one piece of text, its line ends made \\n, keys around it stay keys", () => {
  assert.deepEqual(all(["ab\x1b[200~one\r\ntwo\rthree\x1b[201~\r"]), [
    { keys: "ab" },
    { paste: "one\ntwo\nthree" },
    { keys: "\r" },
  ]);
});

Deno.test("a paste marker cut between chunks is held back until the rest arrives", () => {
  const chunks = ["x\x1b[2", "00~li", "ne\x1b[20", "1~\x1b[A"];
  assert.deepEqual(all(chunks), [
    { keys: "x" },
    { paste: "line" },
    { keys: "\x1b[A" },
  ]);
});

Deno.test("a pasted block carries no control characters into the line but tab and newline", () => {
  assert.deepEqual(all(["\x1b[200~a\tb\x03c\x1b[31md\x1b[201~"]), [{ paste: "a\tbc[31md" }]);
});

Deno.test("arrow keys and Ctrl-C outside a paste are keys as they came", () => {
  assert.deepEqual(all(["\x1b[D", "\x03"]), [{ keys: "\x1b[D" }, { keys: "\x03" }]);
});
