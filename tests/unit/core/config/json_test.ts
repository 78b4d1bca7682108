import assert from "node:assert/strict";
import { JsonSyntaxError, parseJson, pathKey } from "../../../../core/config/_json.ts";

Deno.test("parseJson gives the same value as JSON.parse", () => {
  const text = '{"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"], "b": {"c": {}, "d": []}}';
  assert.deepEqual(parseJson(text).value, JSON.parse(text));
  assert.equal(parseJson(" 42 ").value, 42);
  assert.equal(parseJson('\uFEFF"bom"').value, "bom");
});

Deno.test("parseJson records the line of every property and array item", () => {
  const text =
    '{\n  "gateway": {\n    "port": 1\n  },\n  "list": [\n    "a",\n    {"b": 2}\n  ]\n}';
  const { lines } = parseJson(text);
  assert.equal(lines.get(pathKey(["gateway"])), 2);
  assert.equal(lines.get(pathKey(["gateway", "port"])), 3);
  assert.equal(lines.get(pathKey(["list"])), 5);
  assert.equal(lines.get(pathKey(["list", 0])), 6);
  assert.equal(lines.get(pathKey(["list", 1, "b"])), 7);
});

Deno.test("parseJson keeps a __proto__ key as data, as JSON.parse does", () => {
  const value = parseJson('{"__proto__": {"polluted": true}}').value as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.deepEqual(Object.keys(value), ["__proto__"]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

function syntaxError(text: string): JsonSyntaxError {
  try {
    parseJson(text);
  } catch (error) {
    assert.ok(error instanceof JsonSyntaxError);
    return error;
  }
  throw new Error(`parsed: ${text}`);
}

Deno.test("parseJson reports the line and column of the first problem", () => {
  const cases: [string, string, number, number][] = [
    ['{\n  "a": 1,\n  "b": ]\n}', "expected a JSON value", 3, 8],
    ['{\n  "a": 1,\n}', "expected a property name in double quotes", 3, 1],
    ['{"a" 1}', 'expected ":" after the property name', 1, 6],
    ['{"a": 1 "b": 2}', 'expected "," or "}"', 1, 9],
    ["[1 2]", 'expected "," or "]"', 1, 4],
    ['{"a": "x', "invalid or unterminated string", 1, 7],
    ['{"a": "\\q"}', "invalid or unterminated string", 1, 7],
    ["[-x]", "invalid number", 1, 2],
    ["{} x", "unexpected text after the JSON value", 1, 4],
    ['{"a":', "unexpected end of the file", 1, 6],
    ["\r\n\t  nul", "expected a JSON value", 2, 4],
    ["[".repeat(70), "nested too deeply", 1, 66],
  ];
  for (const [text, reason, line, column] of cases) {
    const error = syntaxError(text);
    assert.deepEqual([error.reason, error.line, error.column], [reason, line, column], text);
    assert.equal(error.message, `${reason} at line ${line}, column ${column}`);
  }
});

Deno.test("parseJson accepts empty objects and arrays with space inside", () => {
  assert.deepEqual(parseJson("{ }").value, {});
  assert.deepEqual(parseJson("[ ]").value, []);
});
