import assert from "node:assert/strict";
import {
  exitCodeOf,
  junitXml,
  plainLine,
  type Report,
  reportHtml,
  type Row,
  summarize,
  table,
} from "../../../kshark/mod.ts";
import { parseJunit } from "../../_support/kshark.ts";

const ROWS: Row[] = [
  {
    component: "TCP",
    target: "b:1",
    layer: "L4-TCP",
    status: "OK",
    detail: "connected in 1 ms",
    ms: 1,
  },
  {
    component: "Topic",
    target: `<script>alert("x")</script>&`,
    layer: "L7-Kafka",
    status: "FAIL",
    detail: "missing <b>topic</b> & \x01more",
    hint: `create it "now"`,
  },
  {
    component: "TLS",
    target: "b:1",
    layer: "L5-6-TLS",
    status: "WARN",
    detail: "expires in 3 days",
    hint: "renew",
  },
  { component: "SASL", target: "b:1", layer: "L7-Kafka", status: "SKIP", detail: "no login" },
];

function report(rows: Row[]): Report {
  return {
    tool: "kshark",
    version: "0.0.0",
    startedAt: "2026-12-05T08:00:00.000Z",
    finishedAt: "2026-12-05T08:00:01.000Z",
    rows,
    summary: summarize(rows),
    config: { "bootstrap.servers": "b:1", "sasl.password": "[redacted]" },
  };
}

Deno.test("the summary counts each status per layer and in total; any FAIL makes exit 1", () => {
  const r = report(ROWS);
  assert.deepEqual(r.summary["L7-Kafka"], { ok: 0, warn: 0, fail: 1, skip: 1 });
  assert.deepEqual(r.summary.total, { ok: 1, warn: 1, fail: 1, skip: 1 });
  assert.equal(r.summary["L3-Network"], undefined, "a layer without rows is left out");
  assert.equal(exitCodeOf(r), 1);
  assert.equal(exitCodeOf(report(ROWS.filter((row) => row.status !== "FAIL"))), 0);
});

Deno.test("JUnit XML has one test case per check that a real XML parser reads back", async () => {
  const parsed = await parseJunit(junitXml(report(ROWS)));
  assert.equal(parsed.tests, "4");
  assert.equal(parsed.failures, "1");
  assert.deepEqual(parsed.cases.map((c) => [c.suite, c.name, c.outcome]), [
    ["L4-TCP", "TCP b:1", "passed"],
    ["L5-6-TLS", "TLS b:1", "passed"],
    ["L7-Kafka", `Topic <script>alert("x")</script>&`, "failure"],
    ["L7-Kafka", "SASL b:1", "skipped"],
  ]);
  assert.equal(parsed.cases[2]!.message, "missing <b>topic</b> & more");
});

Deno.test("the HTML report is one self-contained page that escapes what brokers and settings say", () => {
  const html = reportHtml(report(ROWS));
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;&amp;/);
  assert.match(html, /missing &lt;b&gt;topic&lt;\/b&gt;/);
  assert.doesNotMatch(html, /\b(?:src|href)=/, "nothing is fetched from elsewhere");
  assert.match(html, /<title>kshark report: FAIL<\/title>/);
  assert.match(html, /sasl\.password<\/code><\/td><td><code>\[redacted\]/);
});

Deno.test("plain lines and the table carry each row's status, layer, target, detail and hint", () => {
  assert.equal(
    plainLine(ROWS[2]!),
    "WARN  L5-6-TLS    TLS b:1: expires in 3 days (hint: renew)",
  );
  const plain = table(ROWS, false);
  assert.ok(!plain.includes("\x1b"), "no colour when not asked");
  assert.match(plain, /^STATUS {2}LAYER/);
  assert.match(plain, /↳ create it "now"/);
  assert.ok(table(ROWS, true).includes("\x1b[31mFAIL"));
});
