/**
 * What every turn now pays before its LLM call, each against a baseline measured in the same run
 * (`deno task bench` prints the ratio):
 *
 * - sensitivity rules over the whole request, against serialising that request to JSON, which
 *   the provider does for every call anyway;
 * - redacting that request with three configured secrets (each whole, and every piece of each
 *   in the forms a command makes of it), against the same without configured secrets (the
 *   shapes alone); a turn redacts each message once;
 * - the memory search behind `# Relevant Memory` (keyword-only, fused and filtered), against the
 *   bare FTS5 query it is built on, over 5000 chunks;
 * - the soul files as a turn gets them (the six looked at, kept in memory while unchanged),
 *   against reading the six every turn as turns did before.
 */
import { readSoulFiles, SOUL_FILES } from "../../core/agent/context.ts";
import { SoulFiles } from "../../core/agent/soul_files.ts";
import { ContentClassifier, SecretRedactor } from "../../core/policy/mod.ts";
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

const shapesOnly = new SecretRedactor();
const configured = new SecretRedactor({
  known: [
    "sk-proj-4f9Q2kLmN8pR7sT1vW3xY5zA",
    "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
    "s3cr3t-db-Pa55w0rd",
  ],
});
Deno.bench(
  "redact a 50-message request: shapes only",
  { group: "redaction", baseline: true },
  () => {
    for (const m of messages) shapesOnly.redact(m.content);
  },
);
Deno.bench("redact a 50-message request: 3 configured secrets and their pieces", {
  group: "redaction",
}, () => {
  for (const m of messages) configured.redact(m.content);
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

const soulDir = `${dir}/soul`;
await Deno.mkdir(soulDir);
for (const name of SOUL_FILES) {
  await Deno.writeTextFile(`${soulDir}/${name}`, `# ${name}\n\n${filler.repeat(20)}\n`);
}
const soul = new SoulFiles(soulDir, { now: () => Date.now() + 60_000 });
Deno.bench("read the six soul files", { group: "soul", baseline: true }, async () => {
  await readSoulFiles(soulDir);
});
Deno.bench("the six soul files, unchanged, from memory", { group: "soul" }, async () => {
  await soul.read();
});

globalThis.addEventListener("unload", () => {
  timeline.close();
  Deno.removeSync(dir, { recursive: true });
});
