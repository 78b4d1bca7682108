/** `kafclaw memory search|status|reindex|prune`, run in-process as main.ts runs them. */
import assert from "node:assert/strict";
import { planText, progressBar, pruneText } from "../../../cli/memory.ts";
import { Memory, memoryFromConfig, openWithVectors } from "../../../core/memory/mod.ts";
import {
  E5_DIMENSION,
  e5Config,
  type EmbeddingServer,
  startEmbeddingServer,
} from "./_embeddings.ts";
import { jsonOf } from "../../_support/cli.ts";
import { kafclawInProcess as kafclaw } from "../../_support/cli_in_process.ts";

async function tempHome() {
  const path = await Deno.makeTempDir({ prefix: "kafclaw-memory-cli-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** The environment of a home whose embedding model is `model` on the test server. */
function e5Env(home: string, server: EmbeddingServer, model: string): Record<string, string> {
  return {
    KAFCLAW_HOME: home,
    KAFCLAW_MEMORY_EMBEDDING_MODEL: `ollama/${model}`,
    KAFCLAW_MEMORY_EMBEDDING_DIMENSION: String(E5_DIMENSION),
    KAFCLAW_PROVIDERS_OLLAMA_API_BASE: server.url,
  };
}

Deno.test("memory search, status and prune work by keywords without a model and say so", async () => {
  await using home = await tempHome();
  const { timeline, vectors } = openWithVectors(`${home.path}/timeline.db`);
  const seeded = new Memory(timeline, { vectors });
  await seeded.remember("the staging database listens on port 5433", { taint: "trusted" });
  await seeded.remember("ops only: the broker restarts at 03:00", { zone: "ops" });
  await seeded.remember("an old tool result about ports", { source: "tool:exec" });
  timeline.close();
  const env = { KAFCLAW_HOME: home.path, KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false" };

  const search = await kafclaw(env, "memory", "search", "staging", "database");
  assert.deepEqual([search.code, search.stderr], [0, ""]);
  assert.match(
    search.stdout,
    /^1 memory \(keyword search only: memory\.embedding\.enabled is false\):\n1\. \[user, trusted, public, \d{4}-\d\d-\d\d\] the staging database listens on port 5433$/,
  );
  const all = await kafclaw(env, "memory", "search", "broker", "--json");
  assert.equal(jsonOf(all).hits[0].zone, "ops");
  const other = await kafclaw(env, "memory", "search", "broker", "--zone", "hr", "--limit", "3");
  assert.match(other.stdout, /^No memories match "broker"/);
  const ops = await kafclaw(env, "memory", "search", "broker", "--zone", "hr", "--zone", "ops");
  assert.match(ops.stdout, /^1 memory/);
  // A --zone that is no zone id is refused as task submit --zone refuses it, in one line.
  assert.deepEqual(
    await kafclaw(env, "memory", "search", "broker", "--zone", "ops", "--zone", "Ops.Team"),
    {
      code: 2,
      stdout: "",
      stderr: 'kafclaw: --zone "Ops.Team" is not a zone id (a-z, 0-9, _ and -, starting with a ' +
        "letter or digit, at most 64)",
    },
  );

  const status = await kafclaw(env, "memory", "status");
  assert.equal(status.code, 0);
  assert.match(
    status.stdout,
    /^search: keyword only \(memory\.embedding\.enabled is false\)\n {2}to search by meaning too: `kafclaw config set memory\.embedding\.enabled true`\nchunks: 3 of at most 50000\n/,
  );
  // --json in snake_case, as group, task and zone print theirs and the API answers memory's.
  const json = jsonOf(await kafclaw(env, "memory", "status", "--json"));
  assert.deepEqual([json.mode, json.chunks, json.sqlite_vec.available], ["keyword", 3, true]);
  assert.deepEqual([json.max_chunks, json.without_vector, json.last_error], [50000, 3, null]);
  const keys = [json, ...json.kinds, json.sqlite_vec].flatMap((o) => Object.keys(o));
  assert.deepEqual(keys.filter((key) => /[A-Z]/.test(key)), []);

  assert.deepEqual(await kafclaw(env, "memory", "prune"), {
    code: 0,
    stdout: "Deleted 0 expired chunk(s) and 0 above the cap; 3 left",
    stderr: "",
  });
  const pruned = jsonOf(await kafclaw(env, "memory", "prune", "--json"));
  assert.deepEqual(pruned, { expired: {}, over_cap: 0, remaining: 3 });
});

Deno.test("memory reindex without a model is a usage error; bad numbers are refused", async () => {
  await using home = await tempHome();
  const env = { KAFCLAW_HOME: home.path, KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false" };
  assert.deepEqual(await kafclaw(env, "memory", "reindex"), {
    code: 2,
    stdout: "",
    stderr: "kafclaw: Cannot re-index memory: memory.embedding.enabled is false",
  });
  const limit = await kafclaw(env, "memory", "search", "x", "--limit", "0");
  assert.equal(limit.code, 2);
  assert.match(limit.stderr, /expected a whole number from 1 to 100/);
  const batch = await kafclaw(env, "memory", "reindex", "--batch-size", "2049");
  assert.equal(batch.code, 2);
  const bad = await kafclaw(
    { KAFCLAW_HOME: home.path, KAFCLAW_GATEWAY_PORT: "x" },
    "memory",
    "status",
  );
  assert.equal(bad.code, 2, "a bad value from the environment is a configuration error");
  assert.match(bad.stderr, /gateway\.port/);
  const relative = await kafclaw({ KAFCLAW_HOME: "relative/home" }, "memory", "status");
  assert.equal(relative.code, 2);
  assert.match(relative.stderr, /KAFCLAW_HOME/);
});

Deno.test("a timeline that cannot be opened is a clear error", async () => {
  await using home = await tempHome();
  await Deno.mkdir(`${home.path}/timeline.db`);
  const result = await kafclaw({ KAFCLAW_HOME: home.path }, "memory", "status");
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^kafclaw: Cannot open the memory: /);
});

Deno.test("after a model change, memory reindex shows its plan, then re-embeds with --yes", async () => {
  await using server = await startEmbeddingServer();
  await using home = await tempHome();
  const { timeline, vectors } = openWithVectors(`${home.path}/timeline.db`);
  const before = memoryFromConfig(timeline, e5Config(server, {}, "e5-old"), { vectors });
  await before.rememberMany(["gate code 4711", "boiler service in October", "Sam feeds the cat"]
    .map((content) => ({ content, taint: "trusted" as const })));
  timeline.close();
  const env = e5Env(home.path, server, "e5-new");

  const status = await kafclaw(env, "memory", "status");
  assert.match(
    status.stdout,
    /^search: keyword only \(3 chunk\(s\) were embedded by ollama\/e5-old, not ollama\/e5-new: run `kafclaw memory reindex`/,
  );
  const search = await kafclaw(env, "memory", "search", "who feeds the cat");
  assert.match(
    search.stdout,
    /\(keyword search only: 3 chunk\(s\) were embedded by ollama\/e5-old/,
  );

  const plan = await kafclaw(env, "memory", "reindex");
  assert.deepEqual([plan.code, plan.stdout], [
    0,
    [
      "Re-indexing would embed 3 of 3 chunk(s) with ollama/e5-new " +
      "(its vector size is taken from its first answer).",
      "It replaces the vectors of 3 chunk(s) made by another model.",
      "Every chunk is sent to the embedding model; run again with --yes to do it.",
    ].join("\n"),
  ]);
  assert.deepEqual(jsonOf(await kafclaw(env, "memory", "reindex", "--json")), {
    done: false,
    embedded: 0,
    plan: {
      model: "ollama/e5-new",
      dimension: null,
      index_dimension: E5_DIMENSION,
      foreign: 3,
      to_embed: 3,
      total: 3,
    },
  });
  const done = await kafclaw(env, "memory", "reindex", "--yes", "--batch-size", "2");
  assert.deepEqual([done.code, done.stdout], [
    0,
    "Embedded 3 chunk(s) with ollama/e5-new; search uses vectors again",
  ]);
  const after = await kafclaw(env, "memory", "search", "who feeds the cat", "--json");
  const result = jsonOf(after);
  assert.equal(result.mode, "hybrid");
  assert.equal(result.hits[0].content, "Sam feeds the cat");
  assert.equal(typeof result.hits[0].vector_rank, "number");
  assert.ok(!("vectorRank" in result.hits[0]), "a hit's keys are snake_case");
  assert.match(
    (await kafclaw(env, "memory", "reindex")).stdout,
    /would embed 0 of 3 .*\nNothing to do\.$/,
  );
});

Deno.test("an embedding endpoint that fails makes reindex exit 1 with the provider's message", async () => {
  await using server = await startEmbeddingServer();
  await using home = await tempHome();
  const env = {
    ...e5Env(home.path, server, "e5"),
    KAFCLAW_PROVIDERS_OLLAMA_API_BASE: `${server.url}/missing`,
  };
  const { timeline, vectors } = openWithVectors(`${home.path}/timeline.db`);
  await new Memory(timeline, { vectors }).remember("one fact");
  timeline.close();
  const result = await kafclaw(env, "memory", "reindex", "--yes");
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^kafclaw: .*ollama.*404/s);
});

Deno.test("the reindex plan names a dropped index; prune and progress texts", () => {
  const plan = { model: "m/x", dimension: 8, indexDimension: 16, foreign: 0, toEmbed: 2, total: 2 };
  assert.equal(
    planText(plan).split("\n")[1],
    "It drops the index of 16-dimensional vectors first.",
  );
  assert.equal(
    pruneText({ expired: { tool: 3, conversation: 1 }, overCap: 2, remaining: 10 }),
    "Deleted 4 expired chunk(s) (tool 3, conversation 1) and 2 above the cap; 10 left",
  );
  assert.equal(progressBar(5, 10, 10), "[#####-----]  50% 5/10 chunks");
  assert.equal(progressBar(0, 0, 4), "[####] 100% 0/0 chunks");
  assert.equal(progressBar(12, 10, 4), "[####] 100% 12/10 chunks");
});
