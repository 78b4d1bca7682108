/**
 * What the kshark tests share: the JSON report checked against kshark/report.schema.json by an
 * independent validator (ajv, draft 2020-12), and a port that nothing listens on.
 */
import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";

const schema = JSON.parse(
  Deno.readTextFileSync(new URL("../../kshark/report.schema.json", import.meta.url)),
);
const validate = new Ajv2020({
  allErrors: true,
  strict: true,
  strictRequired: false,
  validateFormats: false,
})
  .compile(schema);

/** A kshark JSON report as the tests read it. */
export interface JsonReport {
  rows: {
    component: string;
    target: string;
    layer: string;
    status: string;
    detail: string;
    hint?: string;
  }[];
  summary: Record<string, { ok: number; warn: number; fail: number; skip: number }>;
  config: Record<string, string>;
}

/** Reads a JSON report file and asserts that it is valid against the schema. */
export async function validReport(path: string): Promise<JsonReport> {
  const report: JsonReport = JSON.parse(await Deno.readTextFile(path));
  assert.ok(
    validate(report),
    `the report does not match its schema: ${JSON.stringify(validate.errors)}`,
  );
  return report;
}

/** The rows of a report of one component. */
export function rowsOf(report: JsonReport, component: string): JsonReport["rows"] {
  return report.rows.filter((row) => row.component === component);
}

/** A loopback port that was free a moment ago and has no listener. */
export function deadPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
