import assert from "node:assert/strict";
import { ENVELOPE_TYPES, parseRecord, recordKey } from "../../../../core/protocol/mod.ts";
import { goldenBytes, goldenCases, goldenKey } from "./_helpers.ts";
import { missingFieldCases } from "./_missing.ts";

for (const c of goldenCases()) {
  Deno.test(`golden ${c.file}: ${c.description}`, () => {
    const options = c.max_bytes === undefined ? {} : { maxBytes: c.max_bytes };
    const key = goldenKey(c);
    const result = parseRecord({ topic: c.topic, key, value: goldenBytes(c.file) }, options);
    if (c.expect.ok) {
      assert.ok(result.ok, result.ok ? "" : result.error.message);
      const { envelope } = result;
      if (c.expect.payload !== undefined) assert.deepEqual(envelope.payload, c.expect.payload);
      for (const [field, value] of Object.entries(c.expect.fields ?? {})) {
        assert.deepEqual((envelope as Record<string, unknown>)[field], value);
      }
      // Our producers key every record the way the golden set does.
      if (typeof key === "string") assert.equal(recordKey(envelope), key);
    } else {
      assert.ok(!result.ok, `${c.file} parsed`);
      assert.deepEqual(
        { code: result.error.code, path: result.error.path, message: result.error.message },
        { code: c.expect.code, path: c.expect.path, message: c.expect.message },
      );
    }
  });
}

Deno.test("the golden set has a valid record of every envelope type", () => {
  const types = new Set(
    goldenCases().filter((c) => c.expect.ok).map((c) =>
      JSON.parse(new TextDecoder().decode(goldenBytes(c.file))).type
    ),
  );
  assert.deepEqual([...ENVELOPE_TYPES].filter((type) => !types.has(type)), []);
});

Deno.test("the golden set leaves out each required field of each valid record, one record per field", () => {
  // From the schemas: a field made required needs its record here, and a record whose field was
  // made optional parses, which fails its own case above.
  const listed = new Set(goldenCases().map((c) => c.file));
  const absent = missingFieldCases(goldenCases()).map((m) => m.case.file)
    .filter((file) => !listed.has(file));
  assert.deepEqual(absent, [], "add them: deno run -P=test scripts/protocol-golden.ts --write");
});
