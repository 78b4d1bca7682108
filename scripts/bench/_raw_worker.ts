/**
 * The raw kafkajs ping-pong's worker in a process of its own, as the delegation bench's worker
 * agent runs (_delegation_worker.ts), so that the two compare in the same arrangement:
 *
 *     deno run -P=test scripts/bench/_raw_worker.ts <brokers> <requests topic> <responses topic>
 *       [--commits]
 *
 * It prints `ready` once it consumes, and ends when its stdin closes.
 */
import { startRawWorker } from "./_kafka_pairs.ts";

if (import.meta.main) {
  const [brokers, requests, responses, ...flags] = Deno.args;
  if (!brokers || !requests || !responses) {
    throw new TypeError("Usage: _raw_worker.ts <brokers> <requests> <responses> [--commits]");
  }
  await startRawWorker(brokers.split(","), { requests, responses }, {
    commits: flags.includes("--commits"),
  });
  console.log("ready");
  for await (const _ of Deno.stdin.readable) { /* nothing is read */ }
  Deno.exit(0);
}
