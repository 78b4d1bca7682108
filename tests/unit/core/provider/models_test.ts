import assert from "node:assert/strict";
import { PROVIDERS } from "../../../../core/config/mod.ts";
import {
  createChatProvider,
  parseModelRef,
  ProviderNotConfiguredError,
  resolveChain,
  resolveModel,
} from "../../../../core/provider/mod.ts";
import { configFrom, SECRET_KEY } from "./_helpers.ts";

Deno.test("a model reference splits on its first slash", () => {
  assert.deepEqual(parseModelRef("openrouter/anthropic/claude-3.5"), {
    provider: "openrouter",
    model: "anthropic/claude-3.5",
    ref: "openrouter/anthropic/claude-3.5",
  });
  assert.equal(parseModelRef("ollama/llama3.2:3b").model, "llama3.2:3b");
  assert.equal(parseModelRef("openai/gpt-4o-mini").provider, "openai");
});

Deno.test("a model reference without provider or model, or with an unknown provider, is refused", () => {
  for (const ref of ["gpt-4o", "/gpt-4o", "openai/", "mistral/large", ""]) {
    assert.throws(() => parseModelRef(ref), (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.match(
        error.message,
        /^Cannot use model ".*": expected provider\/model, where provider is one of openai, openrouter/,
      );
      return true;
    }, ref);
  }
});

const BASES: Record<string, string> = {
  openai: "https://api.openai.com/v1",
  openrouter: "https://openrouter.ai/api/v1",
  anthropic: "https://api.anthropic.com/v1",
  ollama: "http://127.0.0.1:11434/v1",
  vllm: "http://127.0.0.1:8000/v1",
  lmstudio: "http://127.0.0.1:1234/v1",
  groq: "https://api.groq.com/openai/v1",
  deepseek: "https://api.deepseek.com/v1",
  xai: "https://api.x.ai/v1",
  gemini: "https://generativelanguage.googleapis.com/v1beta/openai",
};

Deno.test("every provider has its default base URL and its key from providers.<p>.apiKey", () => {
  assert.deepEqual(Object.keys(BASES).sort(), [...PROVIDERS].sort());
  const env: Record<string, string> = {};
  for (const p of PROVIDERS) env[`KAFCLAW_PROVIDERS_${p.toUpperCase()}_API_KEY`] = `key-of-${p}`;
  const config = configFrom(env);
  for (const provider of PROVIDERS) {
    const endpoint = resolveModel(config, `${provider}/some/model`);
    assert.equal(endpoint.baseUrl, BASES[provider], provider);
    assert.equal(endpoint.model, "some/model");
    assert.equal(endpoint.apiKey, `key-of-${provider}`);
  }
});

Deno.test("providers.<p>.apiBase overrides the base URL, without a trailing slash", () => {
  const config = configFrom({
    KAFCLAW_PROVIDERS_GROQ_API_BASE: "https://proxy.example/groq/v1/",
    KAFCLAW_PROVIDERS_GROQ_API_KEY: "gsk",
  });
  assert.equal(resolveModel(config, "groq/llama-3.1-8b").baseUrl, "https://proxy.example/groq/v1");
});

Deno.test("local providers need no key", () => {
  const config = configFrom({});
  for (const ref of ["ollama/llama3.2", "lmstudio/qwen2.5", "vllm/mistral-7b"]) {
    assert.equal(resolveModel(config, ref).apiKey, null, ref);
  }
});

Deno.test("a remote provider pointed at another server needs no key", () => {
  const config = configFrom({ OPENAI_BASE_URL: "http://127.0.0.1:9/v1" });
  const endpoint = resolveModel(config, "openai/gpt-4o-mini");
  assert.equal(endpoint.apiKey, null);
  assert.equal(endpoint.baseUrl, "http://127.0.0.1:9/v1");
});

Deno.test("with no key for the configured model, the error says exactly how to configure one", () => {
  assert.throws(() => createChatProvider(configFrom({})), (error: unknown) => {
    assert.ok(error instanceof ProviderNotConfiguredError);
    assert.equal(error.provider, "openai");
    assert.equal(
      error.message,
      "No LLM provider is configured: model openai/gpt-4o-mini needs providers.openai.apiKey " +
        "(KAFCLAW_PROVIDERS_OPENAI_API_KEY or OPENAI_API_KEY). Set KAFCLAW_MODEL=openai/gpt-4o-mini " +
        "and OPENAI_API_KEY=..., or point OPENAI_BASE_URL at any OpenAI-compatible server, or run " +
        "kafclaw onboard",
    );
    return true;
  });
});

Deno.test("with another provider's key set, the hint names that provider's model", () => {
  const cases = [
    ["ANTHROPIC_API_KEY", "anthropic", "anthropic/claude-sonnet-4-5"],
    ["GROQ_API_KEY", "groq", "groq/llama-3.1-8b-instant"],
    ["GEMINI_API_KEY", "gemini", "gemini/gemini-2.0-flash"],
  ] as const;
  for (const [name, provider, model] of cases) {
    assert.throws(
      () => createChatProvider(configFrom({ [name]: SECRET_KEY })),
      (error: unknown) => {
        assert.ok(error instanceof ProviderNotConfiguredError);
        assert.ok(
          error.message.endsWith(
            `A key for ${provider} is set (providers.${provider}.apiKey, ` +
              `KAFCLAW_PROVIDERS_${provider.toUpperCase()}_API_KEY or ${name}): use one of its ` +
              `models, e.g. KAFCLAW_MODEL=${model}, or run kafclaw onboard`,
          ),
          error.message,
        );
        assert.ok(!error.message.includes("OPENAI_API_KEY=..."), error.message);
        assert.ok(!error.message.includes(SECRET_KEY), "the key itself never shows");
        return true;
      },
    );
    const chain =
      createChatProvider(configFrom({ [name]: SECRET_KEY, KAFCLAW_MODEL: model })).chain;
    assert.equal(chain[0]?.apiKey, SECRET_KEY);
  }
});

Deno.test("the provider hint suggests onboarding by the name the user ran kafclaw by", () => {
  for (
    const [env, ends] of [
      [{ KAFCLAW_COMMAND: "scripts/kafclaw" }, "or run scripts/kafclaw onboard"],
      [
        { KAFCLAW_COMMAND: "/srv/my kafclaw/scripts/kafclaw", ANTHROPIC_API_KEY: SECRET_KEY },
        "e.g. KAFCLAW_MODEL=anthropic/claude-sonnet-4-5, or run '/srv/my kafclaw/scripts/kafclaw' onboard",
      ],
    ] as const
  ) {
    assert.throws(
      () => createChatProvider(configFrom(env)),
      (error: unknown) =>
        error instanceof ProviderNotConfiguredError && error.message.endsWith(ends),
    );
  }
});

Deno.test("a fallback without its key is named with the variable that sets it", () => {
  const config = configFrom({
    OPENAI_API_KEY: SECRET_KEY,
    KAFCLAW_MODEL_FALLBACKS: "ollama/llama3.2,groq/llama-3.1-8b",
  });
  assert.throws(() => resolveChain(config), (error: unknown) => {
    assert.ok(error instanceof ProviderNotConfiguredError);
    assert.equal(
      error.message,
      "Fallback model groq/llama-3.1-8b needs providers.groq.apiKey " +
        "(KAFCLAW_PROVIDERS_GROQ_API_KEY or GROQ_API_KEY): " +
        "set it or remove groq/llama-3.1-8b from model.fallbacks",
    );
    return true;
  });
});

Deno.test("the chain is the primary model, then the fallbacks, each once", () => {
  const config = configFrom({
    OPENAI_API_KEY: SECRET_KEY,
    KAFCLAW_MODEL: "openai/gpt-4o",
    KAFCLAW_MODEL_FALLBACKS: "ollama/llama3.2,openai/gpt-4o,lmstudio/qwen",
  });
  assert.deepEqual(resolveChain(config).map((e) => e.ref), [
    "openai/gpt-4o",
    "ollama/llama3.2",
    "lmstudio/qwen",
  ]);
  // A per-agent model replaces the primary; the fallbacks stay unless replaced too.
  assert.deepEqual(
    resolveChain(config, { model: "ollama/phi3", fallbacks: [] }).map((e) => e.ref),
    ["ollama/phi3"],
  );
  assert.deepEqual(
    createChatProvider(config, { model: "ollama/phi3" }).chain.map((e) => e.ref),
    ["ollama/phi3", "ollama/llama3.2", "openai/gpt-4o", "lmstudio/qwen"],
  );
});

Deno.test("an endpoint keeps its key out of JSON and inspection", () => {
  const endpoint = resolveModel(configFrom({ OPENAI_API_KEY: SECRET_KEY }), "openai/gpt-4o");
  assert.equal(endpoint.apiKey, SECRET_KEY);
  assert.ok(!JSON.stringify(endpoint).includes(SECRET_KEY));
  assert.ok(!Deno.inspect(endpoint, { depth: 5, showHidden: true }).includes(SECRET_KEY));
});
