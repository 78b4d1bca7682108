/**
 * Errors a user meets before the agent says anything, through the launcher: each is one line that
 * says what to do, with the exit code README gives.
 */
import assert from "node:assert/strict";
import { kafclaw, LAUNCHER_NAME, tempHome } from "../_support/cli.ts";
import { makeReadOnly } from "../_support/readonly.ts";

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
      "one of its models, e.g. KAFCLAW_MODEL=anthropic/claude-sonnet-4-5, or run " +
      // Run by its path, the launcher suggests commands by that path (tests/e2e/hints_test.ts).
      `${LAUNCHER_NAME} onboard\n`,
  );
});

Deno.test("the same invalid value exits 2 from config set, the environment and config.json", async () => {
  await using home = await tempHome();
  const env = { KAFCLAW_HOME: home.path };
  // Text from a command line or a variable shows as the string it is, a JSON number as one.
  const expected = (value: string, from: string) =>
    `kafclaw: Invalid config: model.attempts = ${value} (from ${from}): expected an integer from 1 to 10\n`;
  const set = await kafclaw(["config", "set", "model.attempts", "0"], env);
  assert.deepEqual([set.code, set.stderr], [2, expected('"0"', "the new value")]);
  const fromEnv = await kafclaw(["agent", "-m", "hi"], { ...env, KAFCLAW_MODEL_ATTEMPTS: "0" });
  assert.deepEqual(
    [fromEnv.code, fromEnv.stderr],
    [2, expected('"0"', "KAFCLAW_MODEL_ATTEMPTS")],
  );
  const file = `${home.path}/config.json`;
  await Deno.writeTextFile(file, '{\n  "model": {\n    "attempts": 0\n  }\n}\n', { mode: 0o600 });
  const fromFile = await kafclaw(["agent", "-m", "hi"], env);
  assert.deepEqual(
    [fromFile.code, fromFile.stderr],
    [2, expected("0", `${file}:3`)],
  );
});

Deno.test("a KAFCLAW_HOME kafclaw may not use is said in one line, without Deno's flags", async () => {
  const r = await kafclaw(["agent", "-m", "hi"], { KAFCLAW_HOME: "/proc/kafclaw-home" });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr,
    "kafclaw: Cannot read /proc/kafclaw-home/config.json: kafclaw may not use " +
      "/proc/kafclaw-home/config.json\n",
  );
});

Deno.test("a KAFCLAW_HOME that cannot be written says so, not a Deno permission", async () => {
  await using home = await tempHome();
  const restore = await makeReadOnly(home.path);
  let r;
  try {
    r = await kafclaw(["agent", "-m", "hi"], {
      KAFCLAW_HOME: home.path,
      OPENAI_API_KEY: "sk-e2e",
    });
  } finally {
    await restore();
  }
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `^kafclaw: KAFCLAW_HOME \\(${home.path}\\) is not writable: [a-z ]+: \\w+ '${home.path}/[^']+'; check its owner and mode\n$`,
    ),
  );
  assert.doesNotMatch(r.stderr, /--allow|os error|Deno/);
});
