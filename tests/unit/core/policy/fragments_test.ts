import assert from "node:assert/strict";
import { SecretRedactor } from "../../../../core/policy/mod.ts";

const KEY = "sk-proj-4f9Q2kLmN8pR7sT1vW3xY5zA";
const redactor = new SecretRedactor({ known: [KEY] });
const clean = (text: string) => redactor.redact(text).text;
const hexOf = (text: string) =>
  Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, "0")).join("");

/** Whether any 8 characters of the key, in any form, survive in `text`. */
function leaks(text: string): string | undefined {
  const packed = text.replace(/\s+/g, "");
  const forms = [KEY, [...KEY].reverse().join(""), hexOf(KEY), hexOf(KEY).toUpperCase(), btoa(KEY)];
  for (const form of forms) {
    const width = form.startsWith(hexOf(KEY).slice(0, 4)) || /^[0-9A-F]+$/.test(form) ? 16 : 8;
    for (let i = 0; i + width <= form.length; i++) {
      if (packed.includes(form.slice(i, i + width))) return form.slice(i, i + width);
    }
  }
  return undefined;
}

Deno.test("every piece of a configured secret is masked, in the forms commands make of it", () => {
  const xxd = (text: string) =>
    hexOf(text).match(/.{1,32}/g)!.map((line, n) =>
      `${(n * 16).toString(16).padStart(8, "0")}: ${line.match(/.{1,4}/g)!.join(" ")}`
    ).join("\n");
  const outputs = {
    cut: `KEY=${KEY.slice(0, 12)}`,
    tail: `…${KEY.slice(-9)}`,
    rev: [...`OPENAI_API_KEY=${KEY}`].reverse().join(""),
    xxd: xxd(`OPENAI_API_KEY=${KEY}\n`),
    hexUpper: hexOf(KEY).toUpperCase(),
    base64: btoa(`OPENAI_API_KEY=${KEY}`),
    base64Shifted: btoa(`x${KEY}`),
    fold: [...KEY].join("\n"),
    spaced: [...KEY].join(" "),
    split: `${KEY.slice(0, 16)}\n${KEY.slice(16)}`,
  };
  for (const [how, output] of Object.entries(outputs)) {
    const masked = clean(output);
    assert.equal(leaks(masked), undefined, `${how}: ${masked}`);
    assert.match(masked, /\[REDACTED:configured_secret\]/, how);
  }
});

Deno.test("text that shares no 8 characters with a secret is left as it was", () => {
  for (
    const text of [
      "OpenAI keys start with sk-, then proj-; 4f9Q2kL is seven characters of it",
      "The quick brown fox jumps over the lazy dog.",
      hexOf("hello world, nothing secret here"),
    ]
  ) assert.equal(clean(text), text);
  // A short secret is only found whole.
  const short = new SecretRedactor({ known: ["hunter2hunt"] });
  assert.equal(short.redact("hunter2h").text, "hunter2h");
});
