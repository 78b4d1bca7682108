import assert from "node:assert/strict";
import { resolveConfig } from "../../../../core/config/mod.ts";
import { kafkaOptionsFromConfig, KafkaSettingsError } from "../../../../core/transport/mod.ts";

const config = (env: Record<string, string>) =>
  resolveConfig({
    home: "/h/.kafclaw",
    env: { KAFCLAW_GROUP_KAFKA_BROKERS: "a:9092,b:9093", ...env },
  });
const files: Record<string, string> = { "/ca.pem": "CA", "/c.pem": "CERT", "/k.pem": "KEY" };
const readText = (p: string) =>
  p in files ? Promise.resolve(files[p]!) : Promise.reject(new Error("no such file"));

Deno.test("plaintext brokers map to a plain connection", async () => {
  const o = await kafkaOptionsFromConfig(config({}), { clientId: "a1", readText });
  assert.deepEqual(o, { brokers: ["a:9092", "b:9093"], clientId: "a1", command: "kafclaw" });
});

Deno.test("SASL_SSL with SCRAM-SHA-512, a CA and a client certificate", async () => {
  const o = await kafkaOptionsFromConfig(
    config({
      KAFCLAW_GROUP_KAFKA_SECURITY_PROTOCOL: "SASL_SSL",
      KAFCLAW_GROUP_KAFKA_SASL_MECHANISM: "SCRAM-SHA-512",
      KAFCLAW_GROUP_KAFKA_SASL_USERNAME: "agent-a",
      KAFCLAW_GROUP_KAFKA_SASL_PASSWORD: "pw-123",
      KAFCLAW_GROUP_KAFKA_TLS_CA_FILE: "/ca.pem",
      KAFCLAW_GROUP_KAFKA_TLS_CERT_FILE: "/c.pem",
      KAFCLAW_GROUP_KAFKA_TLS_KEY_FILE: "/k.pem",
    }),
    { clientId: "a1", readText },
  );
  assert.deepEqual(o.ssl, { ca: "CA", cert: "CERT", key: "KEY" });
  assert.deepEqual(o.sasl, { mechanism: "scram-sha-512", username: "agent-a", password: "pw-123" });
});

Deno.test("SSL without files trusts the system's CAs; SASL_PLAINTEXT has no TLS", async () => {
  const tls = await kafkaOptionsFromConfig(
    config({ KAFCLAW_GROUP_KAFKA_SECURITY_PROTOCOL: "SSL" }),
    { clientId: "a1", readText },
  );
  assert.equal(tls.ssl, true);
  const sasl = await kafkaOptionsFromConfig(
    config({
      KAFCLAW_GROUP_KAFKA_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
      KAFCLAW_GROUP_KAFKA_SASL_USERNAME: "u",
      KAFCLAW_GROUP_KAFKA_SASL_PASSWORD: "p",
    }),
    { clientId: "a1", readText },
  );
  assert.equal(sasl.ssl, undefined);
  assert.equal(sasl.sasl?.mechanism, "plain");
});

Deno.test("settings that cannot work are refused with the key to fix, never the password", async () => {
  await assert.rejects(
    kafkaOptionsFromConfig(resolveConfig({ home: "/h", env: {} }), { clientId: "x", readText }),
    (e) => e instanceof KafkaSettingsError && /group\.kafkaBrokers is empty/.test(e.message),
  );
  await assert.rejects(
    kafkaOptionsFromConfig(
      config({
        KAFCLAW_GROUP_KAFKA_SECURITY_PROTOCOL: "SASL_SSL",
        KAFCLAW_GROUP_KAFKA_SASL_PASSWORD: "hunter2",
      }),
      { clientId: "x", readText },
    ),
    (e) =>
      e instanceof KafkaSettingsError && /kafkaSaslUsername/.test(e.message) &&
      !/hunter2/.test(e.message),
  );
  await assert.rejects(
    kafkaOptionsFromConfig(
      config({
        KAFCLAW_GROUP_KAFKA_SECURITY_PROTOCOL: "SSL",
        KAFCLAW_GROUP_KAFKA_TLS_CERT_FILE: "/c.pem",
      }),
      { clientId: "x", readText },
    ),
    /go together/,
  );
  await assert.rejects(
    kafkaOptionsFromConfig(
      config({
        KAFCLAW_GROUP_KAFKA_SECURITY_PROTOCOL: "SSL",
        KAFCLAW_GROUP_KAFKA_TLS_CA_FILE: "/missing.pem",
      }),
      { clientId: "x", readText },
    ),
    /Cannot read group\.kafkaTlsCaFile "\/missing\.pem": no such file/,
  );
});
