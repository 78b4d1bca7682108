/**
 * The JSON Schema (draft 2020-12) of the protocol, made from the same zod schemas that validate
 * records here, for implementations in other languages. `kafclaw-1.schema.json` beside this file is
 * its committed copy (`deno run -P=test scripts/protocol-schema.ts --write` regenerates it; a unit
 * test fails when it is stale).
 *
 * It accepts what a v1 reader accepts, as far as JSON Schema can say it: the Go aliases
 * (`delegation_depth`, `responder_id` in `task_status`, status `accepted`) included. What it
 * cannot say is in `tests/unit/core/protocol/schema_golden_test.ts`: the rules on bytes (size,
 * UTF-8, duplicate keys, depth), on the record's key and topic, dates past the end of their
 * month, and fields that must equal one another.
 *
 * @module
 */

import { z } from "zod";
import { Certificate } from "./certs.ts";
import { EnvelopeSchema, PROTOCOL_VERSION } from "./envelope.ts";
import { TASK_STATUSES } from "./payloads_tasks.ts";

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
  // Certificate has an id, so its own schema is a `$ref` into `$defs`, where the real one is.
  const { $defs: certificateDefs } = z.toJSONSchema(Certificate, options);
  const defs = { ...$defs, ...certificateDefs } as Record<string, JsonObject>;
  addGoAliases(defs);
  const root = { ...envelope, $defs: defs };
  refuseNewlines(root);
  return {
    $schema,
    $id: SCHEMA_ID,
    title: `KafClaw wire protocol (${PROTOCOL_VERSION})`,
    description:
      "One Kafka record value: the envelope (PROTOCOL.md). Readers ignore unknown fields.",
    ...root,
  };
}

/**
 * Makes every `pattern` refuse a newline. Its `$` ends the text in JavaScript and Go, but in
 * Python and Java it also matches before a final newline, so there `"alice\n"` would pass for an
 * agent id; no string with a pattern here may hold a newline.
 */
function refuseNewlines(node: unknown): void {
  if (typeof node !== "object" || node === null) return;
  for (const child of Object.values(node)) refuseNewlines(child);
  const schema = node as Record<string, unknown>;
  if (typeof schema.pattern !== "string") return;
  const newline = { pattern: "\n" };
  schema.not = schema.not === undefined ? newline : { anyOf: [schema.not, newline] };
}

type JsonObject = Record<string, unknown> & {
  properties: Record<string, Record<string, unknown>>;
  required: string[];
};

/**
 * The Go KafClaw's spellings that readers accept (`applyGoAliases`), which the zod schemas, made
 * for what our writers send, leave out.
 */
function addGoAliases(defs: Record<string, JsonObject>): void {
  const request = defs.RequestPayload as JsonObject;
  request.allOf = [{
    if: { not: { required: ["delegation"] } },
    then: {
      properties: {
        delegation_depth: {
          type: "integer",
          minimum: 0,
          description: "Go alias of delegation.depth, read when delegation is absent",
        },
      },
    },
  }];
  const status = defs.TaskStatusPayload as JsonObject;
  status.properties.status = {
    type: "string",
    enum: [...TASK_STATUSES, "accepted"],
    description: 'Go\'s "accepted" is read as "claimed"',
  };
  status.required = status.required.filter((field) => field !== "worker_id");
  status.anyOf = [{ required: ["worker_id"] }, {
    required: ["responder_id"],
    properties: {
      responder_id: {
        $ref: "#/$defs/AgentId",
        description: "Go alias of worker_id, read when worker_id is absent",
      },
    },
  }];
}

/** The committed file's text: the schema as 2-space JSON with a final newline. */
export function protocolJsonSchemaText(): string {
  return `${JSON.stringify(protocolJsonSchema(), null, 2)}\n`;
}
