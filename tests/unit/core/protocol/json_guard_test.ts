import assert from "node:assert/strict";
import { checkStructure, guardJson } from "../../../../core/protocol/json_guard.ts";
import { DEFAULT_MAX_BYTES, MAX_DEPTH, parseEnvelope } from "../../../../core/protocol/mod.ts";

function failure(input: Uint8Array | string, maxBytes = DEFAULT_MAX_BYTES) {
  const result = guardJson(input, maxBytes);
  assert.ok(!result.ok, "accepted");
  return result.failure;
}

function nested(depth: number, open = "[", close = "]"): string {
  return open.repeat(depth) + close.repeat(depth);
}

Deno.test("guardJson parses valid JSON from bytes and from text", () => {
  assert.deepEqual(guardJson(new TextEncoder().encode('{"a":[1,{"b":"ü"}]}'), 100), {
    ok: true,
    value: { a: [1, { b: "ü" }] },
  });
  assert.deepEqual(guardJson('"just a string"', 100), { ok: true, value: "just a string" });
});

Deno.test("guardJson counts the limit in UTF-8 bytes, for text too", () => {
  assert.equal(guardJson('"ü"', 4).ok, true);
  assert.deepEqual(failure('"ü"', 3), {
    code: "too_large",
    detail: "the value has 4 bytes, more than the limit of 3",
    path: [],
  });
  assert.equal(failure(new Uint8Array(5), 4).code, "too_large");
});

Deno.test("guardJson refuses invalid UTF-8, lone surrogates and a byte order mark", () => {
  assert.equal(failure(new Uint8Array([0x22, 0xc3, 0x28, 0x22])).code, "invalid_utf8");
  assert.equal(failure(new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22])).code, "invalid_utf8");
  assert.equal(failure('"\ud800"').code, "invalid_utf8");
  assert.equal(failure(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])).code, "invalid_json");
  assert.equal(failure("\ufeff{}").code, "invalid_json");
});

Deno.test("guardJson refuses what JSON.parse refuses", () => {
  for (const text of ["", "{", '{"a":1,}', "[1 2]", "{'a':1}", "NaN", '{"a":1}{}']) {
    assert.equal(failure(text).code, "invalid_json", text);
  }
});

Deno.test("parseEnvelope rejects duplicate keys at any depth", () => {
  const cases: Array<[string, unknown[]]> = [
    ['{"a":1,"a":2}', ["a"]],
    ['{"a":{"b":1,"c":{"d":1,"d":1}}}', ["a", "c", "d"]],
    ['[0,{"x":1},{"y":1,"y":2}]', [2, "y"]],
    ['{"list":[[],[{"k":1}],[{"k":1,"k":1}]]}', ["list", 2, 0, "k"]],
    ['{"a":1,"\\u0061":2}', ["\u0061"]],
    ['{"a\\"b":1,"a\\u0022b":2}', ['a"b']],
  ];
  for (const [text, path] of cases) {
    const found = failure(text);
    assert.equal(found.code, "duplicate_key", text);
    assert.deepEqual(found.path, path, text);
    const envelope = parseEnvelope(text);
    assert.ok(!envelope.ok && envelope.error.code === "duplicate_key", text);
  }
});

Deno.test("equal keys in different objects are not duplicates", () => {
  for (
    const text of [
      '{"a":{"a":1},"b":{"a":2}}',
      '[{"k":1},{"k":1}]',
      '{"a":"a","b":"a"}',
      '{"a":["a","a"]}',
    ]
  ) {
    assert.equal(guardJson(text, 100).ok, true, text);
  }
});

Deno.test("strings holding brackets, quotes and backslashes do not confuse the scanner", () => {
  const text = JSON.stringify({
    a: '{"a":1,"a":2}',
    b: "[[[[",
    c: 'x\\"',
    d: "\\",
    e: ["}", "]", ",", ":"],
  });
  assert.equal(guardJson(text, 1000).ok, true);
  assert.equal(failure(`{"s":"\\\\","s":1}`).code, "duplicate_key");
});

/** `depth` levels, alternating objects (key "k") and arrays from the outside in. */
function alternating(depth: number): string {
  let text = "1";
  for (let level = depth; level >= 1; level--) {
    text = level % 2 === 1 ? `{"k":${text}}` : `[${text}]`;
  }
  return text;
}

Deno.test(`nesting of ${MAX_DEPTH} levels is allowed, one more is poison`, () => {
  assert.equal(guardJson(nested(MAX_DEPTH), 1000).ok, true);
  assert.equal(guardJson(alternating(MAX_DEPTH), 1000).ok, true);
  const tooDeep = failure(nested(MAX_DEPTH + 1));
  assert.equal(tooDeep.code, "too_deep");
  assert.deepEqual(tooDeep.path, new Array(MAX_DEPTH).fill(0));
  assert.equal(tooDeep.detail, `"${"[0]".repeat(MAX_DEPTH)}" is nested deeper than 32 levels`);
});

Deno.test("depth counts objects and arrays alike, and the path says where", () => {
  const found = failure(alternating(MAX_DEPTH + 1));
  assert.equal(found.code, "too_deep");
  assert.deepEqual(found.path, Array.from({ length: MAX_DEPTH }, (_, i) => i % 2 === 0 ? "k" : 0));
});

Deno.test("depth comes first, then JSON syntax, then the first duplicate key", () => {
  assert.equal(failure(`{"a":1,"a":2,"b":${nested(40)}}`).code, "too_deep");
  assert.equal(failure(`{"b":${nested(40)},"a":1,"a":2}`).code, "too_deep");
  assert.equal(failure(`{"a":1,"a":2,"b":[}`).code, "invalid_json");
  assert.deepEqual(failure(`{"a":1,"b":{"c":1,"c":2},"a":3}`).path, ["b", "c"]);
});

Deno.test("a deep value is refused before it is parsed, even when it never ends", () => {
  // Unterminated strings, brackets and escapes: the scan ends at the end of the text.
  for (const tail of ['"', '"abc\\', '{"k', '{"\\u00', "", ",]}"]) {
    const text = `${"[".repeat(MAX_DEPTH - 1)}${tail}`;
    assert.equal(failure(text).code, "invalid_json", JSON.stringify(tail));
    assert.equal(failure(`[[${text}`).code, "too_deep", JSON.stringify(tail));
  }
  const huge = "[".repeat(1024 * 1024);
  assert.deepEqual(failure(huge, huge.length).path, new Array(MAX_DEPTH).fill(0));
});

Deno.test("guardJson says when an object has a __proto__ key, which JSON.parse keeps as a field", () => {
  const guarded = guardJson('{"a":{"__proto__":{"x":1}}}', 100);
  assert.ok(guarded.ok && guarded.protoKey === true);
  assert.equal(Object.hasOwn((guarded.value as { a: object }).a, "__proto__"), true);
  assert.deepEqual(guardJson('{"__proto_":1,"x":"__proto__"}', 100), {
    ok: true,
    value: { __proto_: 1, x: "__proto__" },
  });
});

Deno.test("checkStructure accepts scalars and empty containers", () => {
  for (const text of ["1", "true", "null", '"x"', "{}", "[]", '{"":1}']) {
    assert.equal(checkStructure(text), undefined);
  }
});

Deno.test("a value of exactly the limit is allowed", () => {
  const text = JSON.stringify({ a: "x".repeat(100) });
  assert.equal(guardJson(text, text.length).ok, true);
  assert.equal(failure(text, text.length - 1).code, "too_large");
});

Deno.test("the default limit is 1 MiB", () => {
  assert.equal(DEFAULT_MAX_BYTES, 1024 * 1024);
  const big = `{"type":"${"x".repeat(DEFAULT_MAX_BYTES)}"}`;
  const result = parseEnvelope(big);
  assert.ok(!result.ok && result.error.code === "too_large");
});
