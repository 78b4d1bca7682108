import assert from "node:assert/strict";
import {
  KsharkSettingsError,
  parseProperties,
  PRESETS,
  redactConfig,
  REDACTED,
  resolveSettings,
} from "../../../kshark/mod.ts";

Deno.test("client.properties: comments, separators, continuations and escapes read as Java does", () => {
  const props = parseProperties(
    [
      "# a comment",
      "! another",
      "bootstrap.servers = b1:9092,\\",
      "    b2:9092",
      "security.protocol:SASL_SSL",
      "sasl.mechanism PLAIN",
      "path=C\\:\\\\kafka\\\\ca.pem",
      "empty.key",
      "",
    ].join("\n"),
    "client.properties",
  );
  assert.deepEqual(props, {
    "bootstrap.servers": "b1:9092,b2:9092",
    "security.protocol": "SASL_SSL",
    "sasl.mechanism": "PLAIN",
    path: "C:\\kafka\\ca.pem",
    "empty.key": "",
  });
});

Deno.test("a SASL login comes from sasl.jaas.config or from librdkafka's sasl.username/password", async () => {
  const jaas = await resolveSettings({
    "bootstrap.servers": "b1:9092",
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required " +
      'username="alice" password="p\\"w";',
  }, { where: "c.properties" });
  assert.deepEqual(jaas.sasl, { mechanism: "SCRAM-SHA-512", username: "alice", password: 'p"w' });
  const rdkafka = await resolveSettings({
    "bootstrap.servers": "b1:9092",
    "security.protocol": "sasl_plaintext",
    "sasl.mechanisms": "plain",
    "sasl.username": "bob",
    "sasl.password": "secret",
  }, { where: "c.properties" });
  assert.deepEqual(rdkafka.sasl, { mechanism: "PLAIN", username: "bob", password: "secret" });
});

Deno.test("--broker replaces bootstrap.servers and a preset's defaults give way to the file", async () => {
  const settings = await resolveSettings(
    { ...PRESETS["self-scram"], "security.protocol": "PLAINTEXT", "bootstrap.servers": "old:1" },
    { where: "c.properties", broker: "new:9092, [::1]:9093" },
  );
  assert.deepEqual(settings.brokers, ["new:9092", "[::1]:9093"]);
  assert.equal(settings.securityProtocol, "PLAINTEXT");
  assert.equal(settings.sasl, undefined);
  assert.equal(settings.echo["bootstrap.servers"], "new:9092, [::1]:9093");
});

Deno.test("TLS settings read the PEM files they name, and a missing file names its key", async () => {
  const files: Record<string, string> = { "/ca.pem": "CA", "/c.pem": "CERT", "/k.pem": "KEY" };
  const readText = (path: string) =>
    files[path] !== undefined
      ? Promise.resolve(files[path])
      : Promise.reject(new Error("not found"));
  const settings = await resolveSettings({
    "bootstrap.servers": "b:1",
    "security.protocol": "SSL",
    "ssl.ca.location": "/ca.pem",
    "ssl.certificate.location": "/c.pem",
    "ssl.key.location": "/k.pem",
  }, { where: "c.properties", readText });
  assert.deepEqual(settings.tls, { ca: "CA", cert: "CERT", key: "KEY" });
  await assert.rejects(
    resolveSettings(
      { "bootstrap.servers": "b:1", "security.protocol": "SSL", "ssl.ca.location": "/nope.pem" },
      { where: "c.properties", readText },
    ),
    {
      name: "KsharkSettingsError",
      message: 'Cannot read c.properties ssl.ca.location "/nope.pem": not found',
    },
  );
});

Deno.test("settings kshark cannot use are one-line errors that name the setting and its source", async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{}, /^No brokers to check: give --broker host:port, or bootstrap.servers in c.properties$/],
    [
      { "bootstrap.servers": "b1" },
      /^Cannot read c.properties bootstrap.servers: "b1" is not host:port$/,
    ],
    [
      { "bootstrap.servers": "b:1", "security.protocol": "TLS" },
      /security.protocol "TLS": expected PLAINTEXT/,
    ],
    [
      { "bootstrap.servers": "b:1", "security.protocol": "SASL_SSL", "sasl.mechanism": "GSSAPI" },
      /sasl.mechanism "GSSAPI": kshark speaks PLAIN, SCRAM-SHA-256, SCRAM-SHA-512/,
    ],
    [{ "bootstrap.servers": "b:1", "security.protocol": "SASL_SSL" }, /needs a login/],
    [
      {
        "bootstrap.servers": "b:1",
        "security.protocol": "SSL",
        "ssl.truststore.location": "/t.jks",
      },
      /Java keystore; give the CA as PEM in ssl.ca.location/,
    ],
    [
      { "bootstrap.servers": "b:1", "schema.registry.url": "ftp://x" },
      /schema.registry.url "ftp:\/\/x": expected an http\(s\) URL/,
    ],
  ];
  for (const [props, message] of cases) {
    await assert.rejects(resolveSettings(props, { where: "c.properties" }), (error: Error) => {
      assert.ok(error instanceof KsharkSettingsError, String(error));
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  }
  assert.throws(
    () => parseProperties("=x", "c.properties"),
    /^KsharkSettingsError: Cannot read c.properties:1: expected key=value$/,
  );
});

Deno.test("the report's config echo hides passwords, JAAS lines, basic auth and URL passwords", () => {
  const echo = redactConfig({
    "bootstrap.servers": "b:1",
    "sasl.username": "alice",
    "sasl.password": "s3cret",
    "sasl.jaas.config": 'x required username="alice" password="s3cret";',
    "basic.auth.user.info": "u:s3cret",
    "ssl.key.password": "s3cret",
    "ssl.key.location": "/etc/kafka/client.key",
    "schema.registry.url": "https://u:s3cret@sr.example:8081",
  });
  assert.doesNotMatch(JSON.stringify(echo), /s3cret/);
  assert.equal(echo["sasl.password"], REDACTED);
  assert.equal(echo["sasl.username"], "alice");
  assert.equal(echo["ssl.key.location"], "/etc/kafka/client.key");
  assert.equal(echo["schema.registry.url"], `https://u:${REDACTED}@sr.example:8081`);
});
