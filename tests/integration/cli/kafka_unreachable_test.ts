/**
 * Kafka that answers, but not as configured: TLS spoken to the tier's plaintext broker, and a
 * wrong SASL password on a broker of the test's own that authenticates. The CLI ends with one
 * line that names the class and sends kshark to the whole config, and never shows the password.
 */
import assert from "node:assert/strict";
import { kafclaw, tempHome } from "../../_support/cli.ts";
import { testBrokers } from "../../_support/broker.ts";
import { startOwnBroker } from "../../_support/own_broker.ts";
import { kafkaLine } from "../../_support/kafka_line.ts";

/** `group status` in a fresh home whose group's Kafka settings are `env`. */
async function groupStatus(env: Record<string, string>) {
  await using home = await tempHome();
  return await kafclaw(["group", "status"], {
    KAFCLAW_HOME: home.path,
    KAFCLAW_GROUP_AGENT_ID: "a1",
    ...env,
  });
}

Deno.test("TLS spoken to a plaintext listener is said to be a failed TLS handshake", async () => {
  const broker = testBrokers()[0]!;
  const result = await groupStatus({
    KAFCLAW_GROUP_KAFKA_BROKERS: broker,
    KAFCLAW_GROUP_KAFKA_SECURITY_PROTOCOL: "SSL",
  });
  assert.match(
    kafkaLine(result, broker, "--auto"),
    /: the TLS handshake failed \(check group\.kafkaSecurity/,
  );
});

Deno.test(
  "a wrong SASL password is said to be refused, without the password",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    await using broker = await startOwnBroker(1, { saslUsers: { admin: "admin-pw" } });
    const address = broker.bootstrap.join(",");
    const secret = "not-the-admin-pw-8d1f";
    const result = await groupStatus({
      KAFCLAW_GROUP_KAFKA_BROKERS: address,
      KAFCLAW_GROUP_KAFKA_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
      KAFCLAW_GROUP_KAFKA_SASL_USERNAME: "admin",
      KAFCLAW_GROUP_KAFKA_SASL_PASSWORD: secret,
    });
    const line = kafkaLine(result, address, "--auto");
    assert.match(line, /: SASL authentication failed \(check group\.kafkaSaslUsername/);
    assert.ok(!result.stderr.includes(secret) && !result.stdout.includes(secret));
  },
);
