import assert from "node:assert/strict";
import { formatSearch } from "../../../../core/memory/mod.ts";
import { PASSAGES, QUERIES } from "./_corpus.ts";
import { FakeEmbedder, tempMemory } from "./_helpers.ts";

Deno.test("keyword-only search ranks the right passage first for every keyword query", async () => {
  await using t = await tempMemory({ embedderReason: "no embedding model is configured" });
  const keys = new Map<string, string>();
  for (const p of PASSAGES) {
    const { ids } = await t.memory.remember(p.text, { taint: "trusted" });
    keys.set(ids[0]!, p.key);
  }
  for (const q of QUERIES.filter((q) => q.kind === "keyword")) {
    const result = await t.memory.search(q.query, { limit: 5 });
    assert.equal(result.mode, "keyword");
    assert.equal(result.notice, "keyword search only: no embedding model is configured");
    assert.equal(keys.get(result.hits[0]?.id ?? ""), q.expect, q.query);
    assert.equal(result.hits[0]!.keywordRank, 1);
    assert.equal(result.hits[0]!.vectorRank, undefined);
    assert.equal(result.hits[0]!.similarity, undefined);
  }
});

Deno.test("tags are searched too, and a query without words finds nothing", async () => {
  await using t = await tempMemory();
  await t.memory.remember("Call the plumber about the leak", { tags: ["household"] });
  assert.equal((await t.memory.search("household")).hits.length, 1);
  assert.deepEqual((await t.memory.search("?!")).hits, []);
});

Deno.test("a search sees public chunks and its zones only; all sees every zone", async () => {
  const embedder = new FakeEmbedder();
  await using t = await tempMemory({ embedder, minScore: 0 });
  await t.memory.remember("payroll runs on the 25th", { zone: "hr", taint: "trusted" });
  await t.memory.remember("payroll export goes to the bank", { zone: "finance", taint: "trusted" });
  await t.memory.remember("payroll questions go to Sam", { taint: "trusted" });
  const zonesOf = async (zones?: readonly string[] | "all") =>
    (await t.memory.search("payroll", zones === undefined ? {} : { zones })).hits
      .map((h) => h.zone ?? "public").sort();
  assert.deepEqual(await zonesOf(), ["public"]);
  assert.deepEqual(await zonesOf(["hr"]), ["hr", "public"]);
  assert.deepEqual(await zonesOf(["hr", "finance"]), ["finance", "hr", "public"]);
  assert.deepEqual(await zonesOf("all"), ["finance", "hr", "public"]);
  // the vector ranking obeys the zones as well: a query no keyword matches
  const byVector = await t.memory.search("25th", { zones: ["finance"] });
  assert.ok(byVector.hits.every((h) => h.zone !== "hr"));
});

Deno.test("every hit carries its taint; one untrusted hit makes the result untrusted", async () => {
  await using t = await tempMemory();
  await t.memory.remember("the release is on Monday", { taint: "trusted" });
  assert.equal((await t.memory.search("release")).taint, "trusted");
  await t.memory.remember("the release was moved, says a web page", { taint: "untrusted" });
  const result = await t.memory.search("release");
  assert.equal(result.taint, "untrusted");
  assert.deepEqual(result.hits.map((h) => h.taint).sort(), ["trusted", "untrusted"]);
  assert.equal((await t.memory.search("nothing matches this")).taint, "trusted");
});

Deno.test("hybrid search fuses keyword and vector ranks and reports similarity", async () => {
  const embedder = new FakeEmbedder();
  await using t = await tempMemory({ embedder, minScore: 0 });
  await t.memory.rememberMany(PASSAGES.map((p) => ({ content: p.text, taint: "trusted" })));
  assert.equal(embedder.calls.length, 1);
  const result = await t.memory.search("The combination of the bike lock is 4-7-1-9.", {
    limit: 3,
  });
  assert.equal(result.mode, "hybrid");
  assert.equal(result.notice, undefined);
  const top = result.hits[0]!;
  assert.match(top.content, /bike lock/);
  assert.deepEqual([top.keywordRank, top.vectorRank], [1, 1]);
  assert.ok(top.similarity! > 0.5 && top.similarity! <= 1.0001);
  assert.equal(top.score, 2 / 61);
  assert.equal(result.hits.length, 3);
});

Deno.test("vector matches under minScore are dropped", async () => {
  const embedder = new FakeEmbedder();
  await using t = await tempMemory({ embedder, minScore: 0.99 });
  await t.memory.remember("alpha beta gamma", { taint: "trusted" });
  await t.memory.remember("delta epsilon", { taint: "trusted" });
  const result = await t.memory.search("alpha beta gamma zeta");
  assert.deepEqual(result.hits.map((h) => h.vectorRank), [undefined]);
  const exact = await t.memory.search("alpha beta gamma");
  assert.deepEqual(exact.hits.map((h) => h.vectorRank), [1]);
});

Deno.test("a query that cannot be embedded falls back to keywords and says why", async () => {
  const embedder = new FakeEmbedder();
  await using t = await tempMemory({ embedder });
  await t.memory.remember("the boiler needs service in October", { taint: "trusted" });
  embedder.failWith = new Error("openai/x is rate limited");
  const result = await t.memory.search("boiler service");
  assert.equal(result.mode, "keyword");
  assert.equal(
    result.notice,
    "keyword search only: the query could not be embedded: openai/x is rate limited",
  );
  assert.equal(result.hits.length, 1);
});

Deno.test("an aborted search rejects instead of falling back", async () => {
  const embedder = new FakeEmbedder();
  await using t = await tempMemory({ embedder });
  // A vector to match, so that the query is embedded.
  await t.memory.remember("x marks the spot", { taint: "trusted" });
  const controller = new AbortController();
  controller.abort(new Error("turn cancelled"));
  embedder.failWith = new Error("aborted");
  await assert.rejects(t.memory.search("x", { signal: controller.signal }), /turn cancelled/);
});

Deno.test("an empty query with vectors ready searches nothing", async () => {
  const embedder = new FakeEmbedder();
  await using t = await tempMemory({ embedder });
  await t.memory.remember("anything", { taint: "trusted" });
  const result = await t.memory.search("  ");
  assert.deepEqual([result.mode, result.hits.length, embedder.calls.length], ["hybrid", 0, 1]);
});

Deno.test("the limit is the configured maxResults unless given, from 1 to 100", async () => {
  await using t = await tempMemory({ maxResults: 2 });
  for (const p of PASSAGES.slice(0, 6)) await t.memory.remember(p.text + " common");
  assert.equal((await t.memory.search("common")).hits.length, 2);
  assert.equal((await t.memory.search("common", { limit: 5 })).hits.length, 5);
  await assert.rejects(t.memory.search("x", { limit: 0 }), /from 1 to 100, got 0/);
  await assert.rejects(t.memory.search("x", { limit: 101 }), RangeError);
});

Deno.test("search results format as numbered lines with source, taint, zone and date", async () => {
  await using t = await tempMemory();
  await t.memory.remember("Use the blue\n\ncable for the printer", {
    taint: "trusted",
    zone: "it",
  });
  await t.memory.remember("printer " + "x".repeat(600));
  const result = await t.memory.search("printer", { zones: ["it"] });
  const text = formatSearch("printer", result, { maxChars: 40 });
  assert.equal(
    text,
    [
      "2 memories (keyword search only: no embedding model is set):",
      `1. [user, untrusted, public, 2026-11-25] printer ${"x".repeat(31)}…`,
      "2. [user, trusted, it, 2026-11-25] Use the blue cable for the printer",
    ].join("\n"),
  );
  assert.match(formatSearch("printer", { ...result, hits: result.hits.slice(0, 1) }), /^1 memory /);
  assert.equal(
    formatSearch("nope", { ...result, hits: [] }),
    'No memories match "nope" (keyword search only: no embedding model is set)',
  );
  const hybrid = { ...result, mode: "hybrid" as const, notice: undefined };
  assert.match(
    formatSearch("printer", hybrid),
    /^2 memories \(hybrid search: keywords and meaning\):/,
  );
});

Deno.test("a search asks for the query's vector only when some chunk holds a vector to match", async () => {
  const embedder = new FakeEmbedder();
  await using t = await tempMemory({ embedder });
  const empty = await t.memory.search("anything at all");
  assert.equal(empty.mode, "hybrid");
  assert.deepEqual(embedder.calls, [], "an empty memory needs no query vector");
  await t.memory.remember("the door code is 4711", { taint: "trusted" });
  const found = await t.memory.search("door code");
  assert.deepEqual(embedder.calls.at(-1), ["door code"]);
  assert.equal(found.hits[0]?.content, "the door code is 4711");
  assert.notEqual(found.hits[0]?.vectorRank, undefined);
});
