import kafkajs from "kafkajs";

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

/** The offset consumer group `groupId` committed on `topic`'s `partition` (-1 for none). */
export async function committedAt(groupId: string, topic: string, partition = 0): Promise<number> {
  const admin = new kafkajs.Kafka({ brokers: testBrokers(), logLevel: kafkajs.logLevel.NOTHING })
    .admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Number(offsets?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
  } finally {
    await admin.disconnect();
  }
}
