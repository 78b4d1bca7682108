/**
 * JUnit XML read by an independent parser (Python's xml.etree), so the tests judge kshark's XML
 * as a CI system would: it must parse, and each test case's outcome is what it says.
 */

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
