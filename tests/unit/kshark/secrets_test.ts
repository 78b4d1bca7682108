/**
 * No secret of kshark's settings reaches anything it prints or writes: not a password in a
 * Schema Registry or REST proxy URL (the checks' rows and hints named the URL as given), not the
 * SASL password, not the basic-auth user info, whether the check fails or passes, in the rows,
 * the progress lines or a settings error.
 */
import assert from "node:assert/strict";
import {
  junitXml,
  KsharkSettingsError,
  reportHtml,
  resolveSettings,
  runKshark,
  table,
} from "../../../kshark/mod.ts";
import { deadPort } from "../../_support/kshark.ts";

const TIMEOUTS = { totalMs: 30_000, kafkaMs: 3_000, produceMs: 3_000, consumeMs: 3_000 };

Deno.test("a password in a service URL or the SASL settings is in no row, hint or progress line", async () => {
  // A registry that answers 500 and one that does not listen: both FAIL with a hint.
  await using registry = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("down", { status: 500 }),
  );
  const settings = await resolveSettings({
    "bootstrap.servers": `127.0.0.1:${deadPort()}`,
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.username": "alice",
    "sasl.password": "SaslPw-0001",
    "schema.registry.url": `http://sr:RegistryPw-0002@127.0.0.1:${registry.addr.port}/`,
    "rest.proxy.url": `http://rp:ProxyPw-0003@127.0.0.1:${deadPort()}/`,
  }, { where: "client.properties" });
  const started: string[] = [];
  const report = await runKshark({
    settings,
    timeouts: TIMEOUTS,
    onStart: (what) => started.push(what),
  });
  const fails = report.rows.filter((row) => row.layer === "L7-HTTP" && row.status === "FAIL");
  assert.equal(fails.length, 2, JSON.stringify(report.rows));
  for (
    const [what, text] of [
      ["the report", JSON.stringify(report)],
      ["the progress", started.join("\n")],
      ["the table", table(report.rows, false)],
      ["the HTML", reportHtml(report)],
      ["the JUnit XML", junitXml(report)],
    ]
  ) {
    assert.doesNotMatch(text!, /SaslPw-0001|RegistryPw-0002|ProxyPw-0003/, what);
  }
  assert.ok(fails.every((row) => (row.hint ?? "") !== ""), "each FAIL still has its hint");
});

Deno.test("a settings error that names a service URL hides its password", async () => {
  await assert.rejects(
    () =>
      resolveSettings({
        "bootstrap.servers": "127.0.0.1:9092",
        "schema.registry.url": "ftp://sr:RegistryPw-0004@sr.example/",
      }, { where: "client.properties" }),
    (error: Error) => {
      assert.ok(error instanceof KsharkSettingsError);
      assert.match(error.message, /schema\.registry\.url/);
      assert.doesNotMatch(error.message, /RegistryPw-0004/);
      return true;
    },
  );
});
