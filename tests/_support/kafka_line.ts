/**
 * The checks every line about Kafka out of reach passes, as a user reads it from the CLI.
 *
 * @module
 */
import assert from "node:assert/strict";

/**
 * The one line a command printed on stderr, after checking exit 1, that it is the only line, that
 * it names `address` and the key it came from, that its kshark hint ends with `kshark` (`--auto`,
 * or `--broker <address>`), and that no stack or kafkajs class shows.
 */
export function kafkaLine(
  result: { readonly code: number; readonly stderr: string },
  address: string,
  kshark: string,
): string {
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  const line = lines[0]!;
  assert.ok(line.startsWith(`kafclaw: Cannot reach Kafka at ${address} `), line);
  assert.ok(line.includes("(group.kafkaBrokers, KAFCLAW_GROUP_KAFKA_BROKERS)"), line);
  assert.ok(line.includes(`kshark ${kshark} checks the path layer by layer`), line);
  assert.doesNotMatch(line, /KafkaJS|Error:|\bat \S+\.[jt]s:\d+/);
  return line;
}
