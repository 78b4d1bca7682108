import assert from "node:assert/strict";
import {
  chunkId,
  chunkText,
  normalizeTags,
  normalizeText,
  soulSections,
} from "../../../../core/memory/mod.ts";

Deno.test("chunk ids are 32 hex digits of source, content and zone", () => {
  const id = chunkId("user", "tea, no sugar");
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.equal(chunkId("user", "tea, no sugar"), id);
  assert.notEqual(chunkId("soul:SOUL.md", "tea, no sugar"), id);
  assert.notEqual(chunkId("user", "tea, no sugar "), id);
  assert.notEqual(chunkId("user", "tea, no sugar", "ops"), id);
  assert.notEqual(chunkId("user", "tea, no sugar", "ops"), chunkId("user", "tea, no sugar", "hr"));
});

Deno.test("normalizeText unifies line ends, trims lines and collapses blank runs", () => {
  assert.equal(normalizeText("  a  \r\nb\rc\n\n\n\nd \t\n"), "a\nb\nc\n\nd");
});

Deno.test("short text is one chunk and blank text none", () => {
  assert.deepEqual(chunkText("Hello there."), ["Hello there."]);
  assert.deepEqual(chunkText(" \n\n "), []);
});

Deno.test("long text splits at paragraphs first, packing what fits", () => {
  const text = "Alpha one.\n\nBeta two.\n\nGamma three is longer than the others here.";
  assert.deepEqual(chunkText(text, { maxChars: 24 }), [
    "Alpha one.\n\nBeta two.",
    "Gamma three is longer",
    "than the others here.",
  ]);
});

Deno.test("a paragraph too long splits at lines, then sentences, then words", () => {
  assert.deepEqual(chunkText("line number one\nline number two", { maxChars: 16 }), [
    "line number one",
    "line number two",
  ]);
  assert.deepEqual(
    chunkText("First sentence here. Second sentence here! Third?", { maxChars: 22 }),
    ["First sentence here.", "Second sentence here!", "Third?"],
  );
  assert.deepEqual(chunkText("aa bb cc dd ee ff gg hh ii", { maxChars: 16 }), [
    "aa bb cc dd ee",
    "ff gg hh ii",
  ]);
});

Deno.test("a word longer than a chunk is cut", () => {
  const word = "x".repeat(40);
  assert.deepEqual(chunkText(`ab ${word}`, { maxChars: 16 }), [
    "ab",
    "x".repeat(16),
    "x".repeat(16),
    "x".repeat(8),
  ]);
});

Deno.test("every chunk of a long text fits and nothing is lost but spaces", () => {
  const text = Array.from(
    { length: 60 },
    (_, i) => `Sentence ${i} talks about item ${i * 7}.` + (i % 9 === 8 ? "\n\n" : " "),
  ).join("");
  const chunks = chunkText(text, { maxChars: 200 });
  assert.ok(chunks.length > 5);
  assert.ok(chunks.every((c) => c.length <= 200 && c.length > 0));
  const words = (s: string) => s.split(/\s+/).filter(Boolean);
  assert.deepEqual(chunks.flatMap(words), words(text));
});

Deno.test("chunk sizes below 16 or fractional are refused", () => {
  assert.throws(() => chunkText("x", { maxChars: 15 }), RangeError);
  assert.throws(() => chunkText("x", { maxChars: 100.5 }), /integer of at least 16, got 100.5/);
});

Deno.test("soul files split on ## headings, keeping the heading line", () => {
  const md = "# Soul\n\nI am helpful.\n\n## Tone\nWarm and brief.\n\n## Limits\n- no secrets\n";
  assert.deepEqual(soulSections(md), [
    { heading: "Soul", text: "# Soul\n\nI am helpful." },
    { heading: "Tone", text: "## Tone\nWarm and brief." },
    { heading: "Limits", text: "## Limits\n- no secrets" },
  ]);
});

Deno.test("soul sections skip empty ones and ignore ## in code fences", () => {
  const md =
    "Intro text\n# Late title\n# Second\n## Empty\n\n## Code\n```md\n## not a heading\n```\n";
  assert.deepEqual(soulSections(md), [
    { heading: "Late title", text: "Intro text\n# Late title\n# Second" },
    { heading: "Code", text: "## Code\n```md\n## not a heading\n```" },
  ]);
  assert.deepEqual(soulSections("# Only a title\n"), []);
  assert.deepEqual(soulSections("Just text"), [{ heading: "", text: "Just text" }]);
  assert.deepEqual(soulSections(""), []);
});

Deno.test("tags are trimmed, commas and line breaks become spaces, repeats go", () => {
  assert.deepEqual(normalizeTags([" ops ", "a,b", "x\ny", "", "  ", "ops"]), [
    "ops",
    "a b",
    "x y",
  ]);
});
