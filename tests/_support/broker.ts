/**
 * The real broker for integration tests. scripts/test starts it and passes its bootstrap servers in
 * KAFCLAW_TEST_BROKERS; a test that needs Kafka fails (never skips) when it is missing.
 */
export function testBrokers(): string[] {
  const value = Deno.env.get("KAFCLAW_TEST_BROKERS");
  if (!value) {
    throw new Error(
      "KAFCLAW_TEST_BROKERS is not set: run the integration tests through scripts/test, " +
        "which starts a real Kafka broker",
    );
  }
  return value.split(",");
}
