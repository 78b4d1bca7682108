/**
 * Errors a user meets before the agent says anything, through the launcher: each is one line that
 * says what to do, with the exit code README gives.
 */
import assert from "node:assert/strict";
import { kafclaw, tempHome } from "../_support/cli.ts";

Deno.test("with only ANTHROPIC_API_KEY set, the no-provider error names an Anthropic model and exits 2", async () => {
  await using home = await tempHome();
  const r = await kafclaw(["agent", "-m", "hi"], {
    KAFCLAW_HOME: home.path,
    ANTHROPIC_API_KEY: "sk-ant-e2e-secret-key",
  });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr,
    "kafclaw: No LLM provider is configured: model openai/gpt-4o-mini needs providers.openai.apiKey " +
      "(KAFCLAW_PROVIDERS_OPENAI_API_KEY or OPENAI_API_KEY). A key for anthropic is set " +
      "(providers.anthropic.apiKey, KAFCLAW_PROVIDERS_ANTHROPIC_API_KEY or ANTHROPIC_API_KEY): use " +
      "one of its models, e.g. KAFCLAW_MODEL=anthropic/claude-3-5-haiku-latest, or run kafclaw " +
      "onboard\n",
  );
});
