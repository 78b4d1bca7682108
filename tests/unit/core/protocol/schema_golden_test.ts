/**
 * The published JSON Schema, checked by an independent validator (ajv, draft 2020-12, formats left
 * as annotations as the draft says) against the golden set: every valid record passes; every
 * invalid one fails at the field its case names, unless its rule is one JSON Schema cannot say,
 * listed below with the reason (and then the schema must accept it, so the list stays true).
 */
import assert from "node:assert/strict";
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import {
  decodeBase64Url,
  parseRecord,
  SCHEMA_FILE,
  SCHEMA_ID,
} from "../../../../core/protocol/mod.ts";
import { goldenBytes, goldenCases, signedVectors } from "./_helpers.ts";

const schema = JSON.parse(
  Deno.readTextFileSync(new URL(`../../../../core/protocol/${SCHEMA_FILE}`, import.meta.url)),
);
// strictRequired would refuse `required` in `anyOf` and `then` branches that name properties
// declared beside them, which is how the schema says "one of these" and "this action needs that".
const ajv = new Ajv2020({
  allErrors: true,
  strict: true,
  strictRequired: false,
  validateFormats: false,
});
ajv.addSchema(schema);
const validateEnvelope = ajv.getSchema(SCHEMA_ID)!;
const validateCertificate = ajv.compile({ $ref: `${SCHEMA_ID}#/$defs/Certificate` });

/** Values that are not JSON at all: the schema never sees them. */
const NOT_JSON = new Set(["invalid/not_json.json", "invalid/invalid_utf8.bin", "invalid/bom.json"]);

/** Duplicate keys: a JSON parser keeps one of the two values (which one varies by language). */
const DUPLICATES = new Set([
  "invalid/duplicate_key_top.json",
  "invalid/duplicate_key_nested.json",
  "invalid/duplicate_key_escaped.json",
]);

/** Invalid cases whose rule JSON Schema cannot express, and why. */
const BEYOND_SCHEMA: Readonly<Record<string, string>> = {
  "invalid/nesting_33.json": "depth is not a keyword",
  "invalid/deep_unterminated.json": "not JSON, but refused for its depth before any parse",
  "invalid/too_large.json": "the size of the bytes is not a keyword",
  "invalid/go_request_no_key.json": "a rule on the record's key",
  "invalid/key_newline.json": "a rule on the record's key",
  "invalid/key_invalid_utf8.json": "a rule on the record's key",
  "invalid/key_not_task_id.json": "a rule on the record's key",
  "invalid/key_other_agent_state.json": "a rule on the record's key",
  "invalid/key_other_agent_heartbeat.json": "a rule on the record's key",
  "invalid/key_node_other_agent.json": "a rule on the record's key",
  "invalid/topic_newline.json": "a rule on the record's topic",
  "invalid/roster_on_requests.json": "a rule on the record's topic",
  "invalid/timestamp_impossible_date.json": "the length of a month is beyond a pattern",
  "invalid/correlation_not_task.json": "one field must equal another",
  "invalid/announce_other_agent.json": "one field must equal another",
};

const slash = (path: readonly unknown[]) => path.map((step) => `/${step}`).join("");

/** Whether an error of the validator points at the field at `path` (or says it is missing). */
function pointsAt(error: ErrorObject, path: readonly unknown[]): boolean {
  const at = slash(path);
  const params = error.params as { missingProperty?: string; property?: string };
  if (error.instancePath === at) return true;
  if (params.missingProperty !== undefined) {
    return `${error.instancePath}/${params.missingProperty}` === at ||
      (error.keyword === "dependentRequired" && `${error.instancePath}/${params.property}` === at);
  }
  return false;
}

for (const c of goldenCases()) {
  Deno.test(`JSON Schema on golden ${c.file}`, () => {
    const bytes = goldenBytes(c.file);
    if (NOT_JSON.has(c.file)) {
      const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
      assert.throws(() => JSON.parse(decoder.decode(bytes)));
      return;
    }
    if (DUPLICATES.has(c.file)) {
      // JSON, whose second value a parser keeps or drops: the rule is on the bytes alone.
      assert.doesNotThrow(() => JSON.parse(new TextDecoder().decode(bytes)));
      return;
    }
    const beyond = BEYOND_SCHEMA[c.file];
    if (beyond === "not JSON, but refused for its depth before any parse") {
      assert.throws(() => JSON.parse(new TextDecoder().decode(bytes)));
      return;
    }
    const value = JSON.parse(new TextDecoder().decode(bytes));
    const valid = validateEnvelope(value);
    const errors = JSON.stringify(validateEnvelope.errors?.slice(0, 5));
    if (c.expect.ok || beyond !== undefined) {
      assert.ok(valid, `the schema refuses ${c.file}${beyond ? ` (${beyond})` : ""}: ${errors}`);
      return;
    }
    assert.equal(valid, false, `the schema accepts ${c.file}`);
    const path = c.expect.path;
    assert.ok(
      validateEnvelope.errors!.some((error) => pointsAt(error, path)),
      `no error of the schema points at ${slash(path) || "/"}: ${errors}`,
    );
  });
}

Deno.test("every rule the schema cannot say names a golden case", () => {
  const files = new Set(goldenCases().map((c) => c.file));
  assert.deepEqual(Object.keys(BEYOND_SCHEMA).filter((file) => !files.has(file)), []);
});

Deno.test("the JSON Schema accepts the value of every signed vector", () => {
  for (const vector of signedVectors().vectors) {
    assert.ok(validateEnvelope(JSON.parse(vector.value)), vector.name);
  }
});

Deno.test("the schema's Certificate is the certificate, not a reference to itself", () => {
  assert.equal(schema.$defs.Certificate.$ref, undefined);
  const certificates = signedVectors().vectors.flatMap((vector) => [
    vector.headers["kc-cert"],
    ...Object.values(vector.certificates ?? {}).map((bundle) => bundle.cert),
  ]).filter((cert): cert is string => cert !== undefined);
  assert.ok(certificates.length > 3);
  for (const cert of certificates) {
    const json: Record<string, unknown> = JSON.parse(
      new TextDecoder().decode(decodeBase64Url(cert)),
    );
    assert.ok(validateCertificate(json), JSON.stringify(validateCertificate.errors));
    const { public_key: _, ...withoutKey } = json;
    assert.equal(validateCertificate(withoutKey), false);
    assert.equal(validateCertificate({ ...json, not_after: "2027-01-01 00:00:00Z" }), false);
  }
});

Deno.test("the schema refuses what only `format` used to say, and all-zero trace ids", () => {
  const ok = JSON.parse(new TextDecoder().decode(goldenBytes("valid/trace.json")));
  assert.ok(validateEnvelope(ok), JSON.stringify(validateEnvelope.errors));
  for (
    const [field, bad] of [
      ["started_at", "2026-01-15 10:00:00Z"],
      ["started_at", "2026-01-15T10:00:00"],
      ["started_at", "2026-13-15T10:00:00Z"],
      ["started_at", "2026-01-15T10:00:00Z\n"],
      ["trace_id", "0".repeat(32)],
      ["span_id", "0".repeat(16)],
      ["parent_span_id", "0".repeat(16)],
    ]
  ) {
    const value = { ...ok, payload: { ...ok.payload, [field as string]: bad } };
    assert.equal(validateEnvelope(value), false, `${field} ${JSON.stringify(bad)}`);
  }
});

Deno.test("a Go alias is read only where the field it stands for is absent, in schema and parser", () => {
  const status = JSON.parse(new TextDecoder().decode(goldenBytes("valid/task_status.json")));
  const request = JSON.parse(new TextDecoder().decode(goldenBytes("valid/request_full.json")));
  const { delegation: _, ...withoutDelegation } = request.payload;
  const { worker_id: __, ...withoutWorker } = status.payload;
  const cases: [string, unknown, string, boolean][] = [
    ["status, both ids", { ...status.payload, responder_id: 5 }, "group.g1.tasks.status", true],
    [
      "status, alias alone",
      { ...withoutWorker, responder_id: "bob" },
      "group.g1.tasks.status",
      true,
    ],
    ["status, bad alias", { ...withoutWorker, responder_id: 5 }, "group.g1.tasks.status", false],
    ["request, both", { ...request.payload, delegation_depth: "x" }, "group.g1.requests", true],
    ["request, alias", { ...withoutDelegation, delegation_depth: 2 }, "group.g1.requests", true],
    [
      "request, bad alias",
      { ...withoutDelegation, delegation_depth: "x" },
      "group.g1.requests",
      false,
    ],
  ];
  for (const [name, payload, topic, ok] of cases) {
    const envelope = { ...(topic.endsWith("status") ? status : request), payload };
    assert.equal(validateEnvelope(envelope), ok, `schema: ${name}`);
    const key = (payload as { task_id: string }).task_id;
    assert.equal(parseRecord({ topic, key, value: JSON.stringify(envelope) }).ok, ok, name);
  }
});
