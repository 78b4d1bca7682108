/**
 * A task from a foreign agent (a shell script around kcat) on the real broker: our agent turns the
 * record into a turn through its door and answers with a response record that kcat reads back.
 */
import assert from "node:assert/strict";
import { loadKafka } from "../../../../core/transport/mod.ts";
import { parseEnvelope, topicsFor } from "../../../../core/protocol/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { requestRecord, startGroupWorker } from "../../../_support/group_worker.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";
import { startFakeOpenAI } from "../../../fakes/openai_server.ts";

const { KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

async function kcat(args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command("kcat", {
    args: ["-b", brokers.join(","), ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  assert.equal(out.code, 0, `kcat ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

Deno.test(
  "kafka: a request kcat produced becomes a turn, and kcat reads the response",
  opts,
  async () => {
    await using llm = await startFakeOpenAI({ fallback: { text: "Paris." } });
    const group = uniqueName("tt").replaceAll("-", "");
    const transport = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    try {
      await using worker = await startGroupWorker(transport, { group, agentId: "deno-1", llm });
      const topics = topicsFor(group);
      const request = requestRecord(topics.requests, {
        id: "task-capital",
        content: "The capital of France?",
        from: "sh-agent",
      });
      await kcat(
        ["-P", "-t", topics.requests, "-K", "\t", "-X", "partitioner=murmur2_random"],
        `${request.key}\t${request.value}\n`,
      );
      await waitFor(() => worker.responses.length > 0, "the response", { timeoutMs: 60_000 });
      const read = await kcat([
        "-C",
        "-t",
        topics.responses,
        "-o",
        "beginning",
        "-e",
        "-q",
        "-f",
        "%k\t%s\n",
      ]);
      const [key, value] = read.trimEnd().split("\n")[0]!.split("\t");
      assert.equal(key, "task-capital");
      const parsed = parseEnvelope(value!);
      assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.message);
      assert.equal(parsed.envelope.type, "response");
      assert.deepEqual(
        [
          parsed.envelope.payload.task_id,
          parsed.envelope.payload.status,
          parsed.envelope.payload.content,
        ],
        ["task-capital", "completed", "Paris."],
      );
    } finally {
      await transport.close();
    }
  },
);
