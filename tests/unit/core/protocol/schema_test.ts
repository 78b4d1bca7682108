import assert from "node:assert/strict";
import {
  ENVELOPE_TYPES,
  protocolJsonSchema,
  protocolJsonSchemaText,
  SCHEMA_FILE,
  SCHEMA_ID,
} from "../../../../core/protocol/mod.ts";

const committedPath = new URL(`../../../../core/protocol/${SCHEMA_FILE}`, import.meta.url);

Deno.test("the committed JSON Schema is the one the zod schemas make", async () => {
  const committed = await Deno.readTextFile(committedPath);
  assert.equal(
    committed,
    protocolJsonSchemaText(),
    `core/protocol/${SCHEMA_FILE} is stale: run deno run -P=test scripts/protocol-schema.ts --write`,
  );
});

Deno.test("the JSON Schema is draft 2020-12 and covers every type and the certificate", () => {
  const schema = protocolJsonSchema() as {
    $schema: string;
    $id: string;
    $ref: string;
    $defs: Record<string, { oneOf?: Array<{ properties: { type: { const: string } } }> }>;
  };
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.equal(schema.$id, SCHEMA_ID);
  assert.equal(schema.$ref, "#/$defs/Envelope");
  const types = schema.$defs.Envelope!.oneOf!.map((variant) => variant.properties.type.const);
  assert.deepEqual(types, [...ENVELOPE_TYPES]);
  for (
    const name of [
      "Certificate",
      "AgentIdentity",
      "RequestPayload",
      "Zone",
      "AgentNode",
      "GroupManifest",
    ]
  ) {
    assert.ok(name in schema.$defs, name);
  }
});

Deno.test("the JSON Schema shows the defaults a reader applies", () => {
  const text = protocolJsonSchemaText();
  const request = JSON.parse(text).$defs.RequestPayload;
  assert.equal(request.properties.attempt.default, 1);
  assert.deepEqual(request.properties.delegation.default, { depth: 0, chain: [] });
  assert.equal(request.properties.arbiter.default, "none");
  assert.deepEqual(request.required, ["task_id", "description", "content", "requester_id"]);
});
