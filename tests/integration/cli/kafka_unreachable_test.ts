/**
 * Kafka that answers, but not as configured: TLS spoken to the tier's plaintext broker, and a
 * wrong SASL password on a broker of the test's own that authenticates. The CLI ends with one
 * line that names the class and sends kshark to the whole config, and never shows the password.
 */
import assert from "node:assert/strict";
import { kafclaw, tempHome } from "../../_support/cli.ts";
import { testBrokers } from "../../_support/broker.ts";
import { startOwnBroker } from "../../_support/own_broker.ts";

/** `group status` in a fresh home whose group's Kafka settings are `env`. */
async function groupStatus(env: Record<string, string>) {
  await using home = await tempHome();
  return await kafclaw(["group", "status"], {
    KAFCLAW_HOME: home.path,
    KAFCLAW_GROUP_AGENT_ID: "a1",
    ...env,
  });
}

/** The one line on stderr, after the checks every such line passes. */
function oneLine(result: { code: number; stderr: string }, address: string): string {
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  const line = lines[0]!;
  assert.ok(line.startsWith(`kafclaw: Cannot reach Kafka at ${address} `), line);
  assert.ok(line.includes("(group.kafkaBrokers, KAFCLAW_GROUP_KAFKA_BROKERS)"), line);
  assert.ok(line.includes("kshark --auto checks the path layer by layer"), line);
  assert.doesNotMatch(line, /KafkaJS|Error:|\bat \S+\.[jt]s:\d+/);
  return line;
}

Deno.test("TLS spoken to a plaintext listener is said to be a failed TLS handshake", async () => {
  const broker = testBrokers()[0]!;
  const result = await groupStatus({
    KAFCLAW_GROUP_KAFKA_BROKERS: broker,
    KAFCLAW_GROUP_KAFKA_SECURITY_PROTOCOL: "SSL",
  });
  assert.match(oneLine(result, broker), /: the TLS handshake failed \(check group\.kafkaSecurity/);
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
    const line = oneLine(result, address);
    assert.match(line, /: SASL authentication failed \(check group\.kafkaSaslUsername/);
    assert.ok(!result.stderr.includes(secret) && !result.stdout.includes(secret));
  },
);
