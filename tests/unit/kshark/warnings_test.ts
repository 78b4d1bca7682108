/**
 * kshark makes kafkajs clients of its own, and kafkajs's request queue at times provokes Node's
 * TimeoutNegativeWarning: words of the runtime's own that reached `kafclaw kshark`'s output.
 */
import assert from "node:assert/strict";
import process from "node:process";
import "../../../kshark/kafka_client.ts";
import { waitFor } from "../../_support/wait.ts";

Deno.test("once kshark's Kafka client is loaded, Node's negative-timeout warning is dropped; others are not", async () => {
  const seen: string[] = [];
  const listener = (warning: Error) => seen.push(warning.name);
  process.on("warning", listener);
  try {
    process.emitWarning("-1796567670733 is a negative number.", "TimeoutNegativeWarning");
    const error = Object.assign(new Error("-1 is a negative number."), {
      name: "TimeoutNegativeWarning",
    });
    process.emitWarning(error);
    // The control: a warning of another kind still comes (and is printed, as Node does).
    process.emitWarning("a control warning of this test", "KsharkTestWarning");
    await waitFor(() => seen.length > 0, "the control warning");
    assert.deepEqual(seen, ["KsharkTestWarning"]);
  } finally {
    process.off("warning", listener);
  }
});
