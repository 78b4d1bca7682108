/**
 * What the kshark tests share: the JSON report checked against kshark/report.schema.json by an
 * independent validator (ajv, draft 2020-12), JUnit XML read by an independent parser (Python's
 * xml.etree, as a CI system would read it), and a port that nothing listens on.
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

/** One parsed test case. */
export interface ParsedCase {
  suite: string;
  name: string;
  outcome: "passed" | "failure" | "skipped";
  message: string;
}

const SCRIPT = `
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
out = []
for suite in root.iter("testsuite"):
    for case in suite.iter("testcase"):
        failure, skipped = case.find("failure"), case.find("skipped")
        outcome = "failure" if failure is not None else "skipped" if skipped is not None else "passed"
        node = failure if failure is not None else skipped
        out.append({"suite": suite.get("name"), "name": case.get("name"), "outcome": outcome,
                    "message": (node.get("message") if node is not None else "") or ""})
print(json.dumps({"tests": root.get("tests"), "failures": root.get("failures"), "cases": out}))
`;

/** Parses JUnit XML; throws with Python's message when it is not well-formed. */
export async function parseJunit(
  xml: string,
): Promise<{ tests: string; failures: string; cases: ParsedCase[] }> {
  const child = new Deno.Command("python3", {
    args: ["-c", SCRIPT],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(xml));
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(`JUnit XML does not parse: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
