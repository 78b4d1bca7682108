import assert from "node:assert/strict";
import { toolParameters, writtenParameters } from "../../../../scripts/tool_parameters.ts";

Deno.test("the JSON Schemas offered to the model are the built-in tools' own, as generated", async () => {
  // A changed argument (a field, a bound, a description) fails here until the file is rewritten:
  // `deno run -P=test scripts/tool_parameters.ts --write`.
  const table = await toolParameters();
  assert.deepEqual(await writtenParameters(), table);
  assert.ok(Object.keys(table).includes("read_file"), Object.keys(table).join(" "));
});
