/**
 * The published JSON Schema as Python reads it (tests/golden/protocol/check_schema.py, with the
 * `jsonschema` package): a second validator in another language, whose `$` also matches before a
 * final newline. Needs python3 with jsonschema >= 4 (`pip install jsonschema`; .ci/run installs
 * it) and fails, saying so, without it.
 */
import assert from "node:assert/strict";
import { SCHEMA_FILE } from "../../../../core/protocol/mod.ts";
import { GOLDEN } from "./_helpers.ts";

const script = new URL("check_schema.py", GOLDEN).pathname;
const schema = new URL(`../../../../core/protocol/${SCHEMA_FILE}`, import.meta.url).pathname;

async function python(...args: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command("python3", { args, stdout: "piped", stderr: "piped" }).output();
}

Deno.test("Python's jsonschema accepts the schema, the golden records and the certificates", async () => {
  const probe = await python("-c", "import jsonschema");
  assert.ok(
    probe.success,
    "python3 with the jsonschema package is needed: pip install jsonschema (or apt-get install python3-jsonschema)",
  );
  const checked = await python(script, schema);
  assert.ok(checked.success, new TextDecoder().decode(checked.stderr));
});
