import assert from "node:assert/strict";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import { kafclaw, LAUNCHER_NAME, tempHome } from "../_support/cli.ts";

const SOUL = "## Who\nI keep the gate whose code is 4711.\n";

/** The texts sent to `/embeddings` from request `from` on. */
function embedded(llm: { requests: readonly { path: string; body: unknown }[] }, from = 0) {
  return llm.requests.slice(from).filter((r) => r.path.endsWith("/embeddings"))
    .flatMap((r) => (r.body as { input: string[] }).input);
}

async function status(env: Record<string, string>) {
  const r = await kafclaw(["memory", "status", "--json"], env);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as {
    mode: string;
    reason: string | null;
    embedding_dimension: number | null;
  };
}

Deno.test("memory takes the embedding size from the model's first answer, embeds the soul files once and re-indexes once after a change", async () => {
  await using home = await tempHome();
  await Deno.mkdir(`${home.path}/soul`, { recursive: true });
  await Deno.writeTextFile(`${home.path}/soul/SOUL.md`, SOUL);
  await using small = await startFakeOpenAI({ fallback: { text: "ok" }, embeddingDimension: 384 });
  const env = {
    KAFCLAW_HOME: home.path,
    OPENAI_BASE_URL: small.url,
    KAFCLAW_MODEL: "openai/gpt-test",
    KAFCLAW_MEMORY_EMBEDDING_MODEL: "openai/embed-test",
  };
  // memory.embedding.dimension is left at its default of 1536.
  const first = await kafclaw(["agent", "-m", "hello"], env);
  assert.equal(first.code, 0, first.stderr);
  assert.ok(embedded(small).some((text) => text.includes("4711")), "the soul file is embedded");
  const before = await status(env);
  assert.deepEqual([before.mode, before.reason, before.embedding_dimension], [
    "hybrid",
    null,
    384,
  ]);

  const seen = small.requests.length;
  const second = await kafclaw(["agent", "-m", "hello again"], env);
  assert.equal(second.code, 0, second.stderr);
  assert.ok(
    !embedded(small, seen).some((text) => text.includes("4711")),
    "an unchanged soul file is not embedded again",
  );

  // The same model, now answering with 1536 numbers: recorded, and one reindex embeds again.
  await using large = await startFakeOpenAI({
    fallback: { text: "ok" },
    embeddingDimension: 1536,
  });
  const changed = { ...env, OPENAI_BASE_URL: large.url };
  const third = await kafclaw(["agent", "-m", "and now?"], changed);
  assert.equal(third.code, 0, third.stderr);
  const after = await status(changed);
  assert.deepEqual([after.mode, after.embedding_dimension], ["keyword", 1536]);
  assert.match(
    after.reason!,
    new RegExp(
      `holds 384-dimensional vectors but openai/embed-test answers with 1536: run \`${
        LAUNCHER_NAME.replaceAll("/", "\\/")
      } memory reindex\`$`,
    ),
  );
  const reindex = await kafclaw(["memory", "reindex", "--yes"], changed);
  assert.equal(reindex.code, 0, reindex.stderr);
  assert.match(reindex.stdout, /^Embedded \d+ chunk\(s\) with openai\/embed-test/);
  const rebuilt = await status(changed);
  assert.deepEqual([rebuilt.mode, rebuilt.embedding_dimension], ["hybrid", 1536]);
  const fourth = await kafclaw(["agent", "-m", "once more"], changed);
  assert.equal(fourth.code, 0, fourth.stderr);
  assert.equal(
    embedded(large).filter((text) => text.includes("4711")).length,
    1,
    "after the change the soul file is embedded once, by the reindex",
  );
});

Deno.test("an Ollama user searches by meaning with ollama/nomic-embed-text without setting it", async () => {
  await using home = await tempHome();
  await using ollama = await startFakeOpenAI({ fallback: { text: "ok" }, embeddingDimension: 768 });
  await Deno.mkdir(`${home.path}/soul`, { recursive: true });
  await Deno.writeTextFile(`${home.path}/soul/SOUL.md`, SOUL);
  const env = {
    KAFCLAW_HOME: home.path,
    KAFCLAW_MODEL: "ollama/llama3.1",
    KAFCLAW_PROVIDERS_OLLAMA_API_BASE: ollama.url,
  };
  const turn = await kafclaw(["agent", "-m", "the gate code is 4711"], env);
  assert.equal(turn.code, 0, turn.stderr);
  const models = ollama.requests.filter((r) => r.path.endsWith("/embeddings"))
    .map((r) => (r.body as { model: string }).model);
  assert.ok(models.length > 0 && models.every((m) => m === "nomic-embed-text"), String(models));
  const text = await kafclaw(["memory", "status"], env);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^search: hybrid /);
  assert.match(text.stdout, /\nembedding model: ollama\/nomic-embed-text \(768 dimensions\)\n/);
});

Deno.test("memory status and doctor say why memory is keyword only and how to search by meaning", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ fallback: { text: "ok" } });
  const env = {
    KAFCLAW_HOME: home.path,
    KAFCLAW_MODEL: "anthropic/claude-sonnet-4-5",
    ANTHROPIC_API_KEY: "sk-ant-test",
    KAFCLAW_PROVIDERS_ANTHROPIC_API_BASE: llm.url,
  };
  const json = await status(env) as Awaited<ReturnType<typeof status>> & { advice: string };
  assert.equal(json.mode, "keyword");
  assert.match(json.reason!, /^no key for the embedding model: .*OPENAI_API_KEY\)$/);
  const advice = "anthropic serves no embedding model: set OPENAI_API_KEY for " +
    "openai/text-embedding-3-small, or run one locally with Ollama (`ollama pull " +
    `nomic-embed-text\`, then \`${LAUNCHER_NAME} config set memory.embedding.model ` +
    "ollama/nomic-embed-text`)";
  assert.equal(json.advice, advice);
  const text = await kafclaw(["memory", "status"], env);
  assert.equal(
    text.stdout.split("\n").slice(0, 2).join("\n"),
    [
      `search: keyword only (${json.reason})`,
      `  ${advice}`,
    ].join("\n"),
  );
  const doctor = await kafclaw(["doctor"], env);
  assert.ok(
    doctor.stdout.includes(`warn  memory       keyword only: ${json.reason}\n`),
    doctor.stdout,
  );
  assert.ok(doctor.stdout.includes(`→ ${advice}\n`), doctor.stdout);
});
