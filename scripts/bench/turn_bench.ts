/**
 * What every turn now pays before its LLM call, each against a baseline measured in the same run
 * (`deno task bench` prints the ratio):
 *
 * - sensitivity rules over the whole request, against serialising that request to JSON, which
 *   the provider does for every call anyway;
 * - the memory search behind `# Relevant Memory` (keyword-only, fused and filtered), against the
 *   bare FTS5 query it is built on, over 5000 chunks.
 */
import { ContentClassifier } from "../../core/policy/mod.ts";
import { Memory } from "../../core/memory/mod.ts";
import { Timeline } from "../../core/timeline/mod.ts";

const filler = "The build passed after the flaky broker test was retried twice on the runner. ";
const messages = Array.from({ length: 50 }, (_, i) => ({
  role: i % 2 === 0 ? "user" : "assistant",
  content: `${filler.repeat(8)} message ${i}`,
}));
const classifier = new ContentClassifier([
  { name: "pii", patterns: ["\\b\\d{3}-\\d{2}-\\d{4}\\b", "\\b[A-Z]{2}\\d{2}[A-Z0-9]{11,30}\\b"] },
  { name: "health", keywords: ["diagnosis", "prescription", "symptom"], routeTo: "ollama/llama3" },
  { name: "secret", keywords: ["confidential", "internal only"] },
  { name: "legal", patterns: ["\\bNDA\\b", "attorney[- ]client"] },
  { name: "finance", keywords: ["salary", "invoice"], patterns: ["\\bIBAN\\b"] },
]);

Deno.bench("serialise a 50-message request", { group: "sensitivity", baseline: true }, () => {
  JSON.stringify({ model: "openai/gpt-4o", messages });
});
Deno.bench("classify a 50-message request by 5 rules", { group: "sensitivity" }, () => {
  classifier.classify(messages.map((m) => m.content).join("\n"));
});

const dir = await Deno.makeTempDir({ prefix: "kafclaw-bench-" });
const timeline = Timeline.open(`${dir}/timeline.db`);
const memory = new Memory(timeline, { embedderReason: "the benchmark measures keywords only" });
const topics = ["broker", "release", "invoice", "garden", "travel", "recipe", "deploy", "budget"];
await memory.rememberMany(
  Array.from({ length: 5000 }, (_, i) => ({
    content: `Note ${i} about the ${topics[i % topics.length]} and the ${
      topics[(i * 7) % topics.length]
    }: ${filler}`,
    source: "user",
    taint: "trusted" as const,
  })),
);

Deno.bench("bare FTS5 query, 5000 chunks", { group: "memory", baseline: true }, () => {
  timeline.memory.keywordSearch('"broker" OR "release"', { zones: ["public"], limit: 8 });
});
Deno.bench("memory search for the prompt, 5000 chunks", { group: "memory" }, async () => {
  await memory.search("broker release", { zones: ["public"], limit: 8 });
});

globalThis.addEventListener("unload", () => {
  timeline.close();
  Deno.removeSync(dir, { recursive: true });
});
