/**
 * `kafclaw kshark` as a user runs it, under its own permission set, where no broker is needed:
 * a dead port, usage errors, the HTTP services (real HTTP servers on 127.0.0.1), `--auto`, and
 * the report files. The checks against a real broker are in tests/integration/kshark.
 */
import assert from "node:assert/strict";
import { kafclaw, tempHome } from "../_support/cli.ts";
import { deadPort, parseJunit, rowsOf, validReport } from "../_support/kshark.ts";

Deno.test("a dead port is a TCP FAIL with a hint, exit 1, and every report file says so", async () => {
  await using dir = await tempHome();
  const port = deadPort();
  const home = `${dir.path}/no-home`;
  const r = await kafclaw([
    "kshark",
    "--broker",
    `127.0.0.1:${port}`,
    "--json",
    `${dir.path}/reports/kshark.json`,
    "--junit",
    `${dir.path}/reports/kshark.xml`,
    "--html",
    `${dir.path}/reports/kshark.html`,
  ], { KAFCLAW_HOME: home, NO_COLOR: "1" });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stdout,
    new RegExp(
      `^FAIL {2}L4-TCP {6}TCP 127\\.0\\.0\\.1:${port}: connection refused: nothing listens on 127\\.0\\.0\\.1:${port} \\(hint: check the port`,
      "m",
    ),
  );
  assert.equal(r.stderr.trim(), "kafclaw: 1 check(s) failed");
  const report = await validReport(`${dir.path}/reports/kshark.json`);
  assert.deepEqual(rowsOf(report, "TCP").map((row) => row.status), ["FAIL"]);
  assert.deepEqual(
    rowsOf(report, "SASL").map((row) => row.status),
    ["SKIP"],
    "nothing above TCP runs",
  );
  assert.equal(report.summary.total!.fail, 1);
  const junit = await parseJunit(await Deno.readTextFile(`${dir.path}/reports/kshark.xml`));
  assert.equal(junit.cases.length, report.rows.length, "one test case per check");
  assert.deepEqual(junit.cases.filter((c) => c.outcome === "failure").map((c) => c.name), [
    `TCP 127.0.0.1:${port}`,
  ]);
  assert.match(
    await Deno.readTextFile(`${dir.path}/reports/kshark.html`),
    /<title>kshark report: FAIL<\/title>/,
  );
  await assert.rejects(Deno.stat(home), Deno.errors.NotFound, "kshark needs no KAFCLAW_HOME");
});

Deno.test("kshark's usage errors exit 2 with one line that names the flag", async () => {
  await using home = await tempHome();
  const cases: [string[], RegExp][] = [
    [[], /^kafclaw: Nothing to check: give --broker host:port, --props <file> or --auto$/],
    [["--broker", "b1"], /^kafclaw: Cannot read --broker: "b1" is not host:port$/],
    [
      ["--broker", "b:1", "--timeout", "soon"],
      /^kafclaw: Cannot read --timeout "soon": expected a number above 0 and ms, s, m, h or d/,
    ],
    [
      ["--props", "/nonexistent/c.properties"],
      /^kafclaw: Cannot read --props "\/nonexistent\/c.properties": no such file$/,
    ],
    [["--props", "x", "--auto"], /^kafclaw: Cannot use --props and --auto together/],
    [
      ["--broker", "b:1", "--test-connection", "--probe-topics"],
      /^kafclaw: Cannot use --test-connection with --probe-topics/,
    ],
    [["--broker", "b:1", "--group", "Not A Group"], /^kafclaw: Cannot read --group "Not A Group"/],
    [
      ["--broker", "b:1", "--preset", "tls"],
      /argument 'tls' is invalid. Allowed choices are plaintext, self-scram, cc-plain/,
    ],
    [["--broker", "b:1", "--start-offset", "middle"], /Allowed choices are latest, earliest/],
  ];
  for (const [args, message] of cases) {
    const r = await kafclaw(["kshark", ...args], { KAFCLAW_HOME: home.path });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr.split("\n")[0]!, message, args.join(" "));
    assert.equal(r.stdout, "", args.join(" "));
  }
});

Deno.test("kafclaw kshark --help lists every flag the issue promises", async () => {
  const r = await kafclaw(["kshark", "--help"]);
  assert.equal(r.code, 0, r.stderr);
  for (
    const flag of [
      "--broker",
      "--test-connection",
      "--probe-topics",
      "--group",
      "--network-diag",
      "-p, --props",
      "--auto",
      "-t, --topic",
      "--preset",
      "--timeout",
      "--kafka-timeout",
      "--produce-timeout",
      "--consume-timeout",
      "--start-offset",
      "--json",
      "--html",
      "--junit",
      "-y, --yes",
    ]
  ) assert.ok(r.stdout.includes(flag), flag);
});

Deno.test("Schema Registry and REST proxy are checked when configured, with their basic auth", async () => {
  await using dir = await tempHome();
  const seen: string[] = [];
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    seen.push(`${path} ${req.headers.get("authorization")}`);
    if (path === "/sr/subjects") return Response.json(["orders-value"]);
    return new Response("no", { status: 401, statusText: "Unauthorized" });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  await Deno.writeTextFile(
    `${dir.path}/c.properties`,
    [
      `bootstrap.servers=127.0.0.1:${deadPort()}`,
      `schema.registry.url=${base}/sr`,
      `rest.proxy.url=${base}/rest/`,
      "basic.auth.user.info=reader:pa55word",
    ].join("\n"),
  );
  const r = await kafclaw([
    "kshark",
    "-p",
    `${dir.path}/c.properties`,
    "--json",
    `${dir.path}/r.json`,
  ]);
  assert.equal(r.code, 1, r.stderr);
  const report = await validReport(`${dir.path}/r.json`);
  const [sr] = rowsOf(report, "Schema Registry");
  const [rest] = rowsOf(report, "REST proxy");
  assert.equal(sr?.status, "OK", JSON.stringify(sr));
  assert.match(sr!.detail, /GET \/sr\/subjects: HTTP 200/);
  assert.equal(rest?.status, "FAIL");
  assert.match(rest!.detail, /HTTP 401/);
  assert.match(rest!.hint!, /basic\.auth\.user\.info/);
  assert.deepEqual(seen, [
    `/sr/subjects Basic ${btoa("reader:pa55word")}`,
    `/rest/topics Basic ${btoa("reader:pa55word")}`,
  ]);
  assert.equal(report.config["basic.auth.user.info"], "[redacted]");
  assert.doesNotMatch(
    r.stdout + r.stderr + await Deno.readTextFile(`${dir.path}/r.json`),
    /pa55word/,
  );
});

Deno.test("--auto takes the agent's Kafka settings from its config, and the password stays out of the report", async () => {
  await using home = await tempHome();
  const port = deadPort();
  const r = await kafclaw(["kshark", "--auto", "--json", `${home.path}/r.json`], {
    KAFCLAW_HOME: home.path,
    KAFCLAW_GROUP_KAFKA_BROKERS: `127.0.0.1:${port}`,
    KAFCLAW_GROUP_KAFKA_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
    KAFCLAW_GROUP_KAFKA_SASL_USERNAME: "agent",
    KAFCLAW_GROUP_KAFKA_SASL_PASSWORD: "hunter2-secret",
  });
  assert.equal(r.code, 1, r.stderr);
  const report = await validReport(`${home.path}/r.json`);
  assert.deepEqual(rowsOf(report, "TCP").map((row) => row.target), [`127.0.0.1:${port}`]);
  assert.equal(report.config["security.protocol"], "SASL_PLAINTEXT");
  assert.equal(report.config["sasl.username"], "agent");
  assert.equal(report.config["sasl.password"], "[redacted]");
  assert.doesNotMatch(
    r.stdout + r.stderr + await Deno.readTextFile(`${home.path}/r.json`),
    /hunter2/,
  );
  const none = await kafclaw(["kshark", "--auto"], { KAFCLAW_HOME: home.path });
  assert.equal(none.code, 2, none.stderr);
  assert.match(none.stderr, /^kafclaw: group\.kafkaBrokers is empty/);
});

Deno.test("a listener that never answers fails ApiVersions and the connection within --kafka-timeout", async () => {
  await using dir = await tempHome();
  // Accepts connections and says nothing: a firewall that lets SYNs through, a hung broker.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const broker = `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
    const r = await kafclaw([
      "kshark",
      "--broker",
      broker,
      "--kafka-timeout",
      "1s",
      "--timeout",
      "20s",
      "--json",
      `${dir.path}/r.json`,
    ]);
    assert.equal(r.code, 1, r.stderr);
    const report = await validReport(`${dir.path}/r.json`);
    assert.deepEqual(rowsOf(report, "TCP").map((row) => row.status), ["OK"]);
    const [api] = rowsOf(report, "ApiVersions");
    assert.equal(api!.status, "FAIL");
    assert.equal(
      api!.detail,
      `no ApiVersions answer: ApiVersions at ${broker} took longer than 1000 ms`,
    );
    const [kafka] = rowsOf(report, "Kafka connection");
    assert.equal(kafka!.status, "FAIL", JSON.stringify(report.rows));
  } finally {
    listener.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
  }
});
