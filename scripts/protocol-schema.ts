/**
 * Prints, checks or writes core/protocol/kafclaw-1.schema.json, the JSON Schema of the wire
 * protocol made from core/protocol's zod schemas. `--write` rewrites the file; `--check` exits 1
 * when it differs from what the code generates.
 *
 *   deno run -P=test scripts/protocol-schema.ts --check
 */
import { protocolJsonSchemaText, SCHEMA_FILE } from "../core/protocol/mod.ts";

const path = new URL(`../core/protocol/${SCHEMA_FILE}`, import.meta.url);
const wanted = protocolJsonSchemaText();
const mode = Deno.args[0] ?? "--print";

if (mode === "--write") {
  await Deno.writeTextFile(path, wanted);
  console.log(`core/protocol/${SCHEMA_FILE}: written`);
} else if (mode === "--check") {
  const committed = await Deno.readTextFile(path).catch(() => "");
  if (committed !== wanted) {
    console.error(
      `core/protocol/${SCHEMA_FILE} differs from the schemas in core/protocol; ` +
        "run `deno run -P=test scripts/protocol-schema.ts --write`",
    );
    Deno.exit(1);
  }
} else {
  console.log(wanted.trimEnd());
}
