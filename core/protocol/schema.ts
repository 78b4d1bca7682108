/**
 * The JSON Schema (draft 2020-12) of the protocol, made from the same zod schemas that validate
 * records here, for implementations in other languages. `kafclaw-1.schema.json` beside this file is
 * its committed copy (`deno run -P=test scripts/protocol-schema.ts --write` regenerates it; a unit
 * test fails when it is stale).
 *
 * It describes what a v1 writer sends. Readers also accept the Go aliases (`delegation_depth`,
 * `responder_id` in `task_status`, status `accepted`), as the descriptions say.
 *
 * @module
 */

import { z } from "zod";
import { Certificate } from "./certs.ts";
import { EnvelopeSchema, PROTOCOL_VERSION } from "./envelope.ts";

/** Where the schema says it lives (its `$id`). */
export const SCHEMA_ID = "https://kafclaw.dev/schema/kafclaw-1.schema.json";

/** The file name of the committed schema, beside this module. */
export const SCHEMA_FILE = "kafclaw-1.schema.json";

/**
 * The JSON Schema of the envelope of every type; `$defs` also holds `Certificate`, the JSON that
 * `kc-cert` carries. Defaults are those a reader applies to a field left out.
 */
export function protocolJsonSchema(): Record<string, unknown> {
  const options = { io: "input", target: "draft-2020-12" } as const;
  const { $schema, $defs, ...envelope } = z.toJSONSchema(EnvelopeSchema, options);
  const { $schema: _, $defs: shared, ...certificate } = z.toJSONSchema(Certificate, options);
  return {
    $schema,
    $id: SCHEMA_ID,
    title: `KafClaw wire protocol (${PROTOCOL_VERSION})`,
    description:
      "One Kafka record value: the envelope (PROTOCOL.md). Readers ignore unknown fields.",
    ...envelope,
    $defs: { ...$defs, ...shared, Certificate: certificate },
  };
}

/** The committed file's text: the schema as 2-space JSON with a final newline. */
export function protocolJsonSchemaText(): string {
  return `${JSON.stringify(protocolJsonSchema(), null, 2)}\n`;
}
