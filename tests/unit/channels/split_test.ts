/** Long answers split for chat platforms: within the limit, at good boundaries, code blocks whole. */
import assert from "node:assert/strict";
import { splitMessage } from "../../../channels/mod.ts";

Deno.test("a short text is one piece, as it is", () => {
  assert.deepEqual(splitMessage("hello *world*", 4096), ["hello *world*"]);
  assert.deepEqual(splitMessage("", 4096), [""]);
});

Deno.test("a long text is cut at paragraphs, each piece within the limit, nothing lost", () => {
  const paragraphs = Array.from({ length: 30 }, (_, i) => `Paragraph ${i} `.repeat(20).trim());
  const text = paragraphs.join("\n\n");
  const pieces = splitMessage(text, 1000);
  assert.ok(pieces.length > 1);
  for (const piece of pieces) assert.ok(piece.length <= 1000, `${piece.length}`);
  // Every cut falls between paragraphs: each piece ends a paragraph.
  for (const piece of pieces) assert.match(piece, /Paragraph \d+$/);
  assert.equal(pieces.join("\n\n"), text);
});

Deno.test("a cut inside a code block closes it and opens it again with its language", () => {
  const code = Array.from({ length: 80 }, (_, i) => `let x${i} = ${i};`).join("\n");
  const text = `Before\n\n\`\`\`js\n${code}\n\`\`\`\nAfter`;
  const pieces = splitMessage(text, 500);
  assert.ok(pieces.length > 2);
  for (const [i, piece] of pieces.entries()) {
    assert.ok(piece.length <= 500, `${piece.length}`);
    assert.equal((piece.match(/```/g) ?? []).length % 2, 0, `piece ${i} leaves a block open`);
    if (i > 0 && i < pieces.length - 1) assert.ok(piece.startsWith("```js\n"), piece);
  }
  const lines = pieces.join("\n").split("\n").filter((l) => l.startsWith("let "));
  assert.deepEqual(lines, code.split("\n"), "every line of code once, in order");
  assert.ok(pieces.at(-1)!.endsWith("After"));
});

Deno.test("a text without spaces is cut hard, never inside a surrogate pair", () => {
  const text = "😀".repeat(100);
  const pieces = splitMessage(text, 51);
  for (const piece of pieces) {
    assert.ok(piece.length <= 51);
    assert.ok(!/[\uD800-\uDBFF]$/.test(piece), "no lone high surrogate at a cut");
  }
  assert.equal(pieces.join(""), text);
});

Deno.test("a limit too short to split by is a programmer's error", () => {
  assert.throws(() => splitMessage("x", 10), RangeError);
});
