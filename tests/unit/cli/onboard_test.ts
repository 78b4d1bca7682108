import assert from "node:assert/strict";
import type { Prompter } from "../../../cli/_prompt.ts";
import { kafclawAnswering } from "../../_support/cli_in_process.ts";
import { noPrompter, scriptedPrompter } from "../../_support/prompter.ts";
import { tempHome } from "../../_support/cli.ts";

const onboard = (home: string, args: string[], prompter: () => Prompter = noPrompter) =>
  kafclawAnswering({ KAFCLAW_HOME: home }, prompter, ["onboard", ...args]);

Deno.test("onboard --non-interactive writes the config and scaffolds every soul file", async () => {
  await using home = await tempHome();
  const r = await onboard(home.path, [
    "--non-interactive",
    "--provider",
    "openai",
    "--model",
    "gpt-4o-mini",
    "--api-base",
    "http://127.0.0.1:9/v1",
    "--name",
    "Ada",
    "--skip-test",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const config = JSON.parse(await Deno.readTextFile(`${home.path}/config.json`));
  assert.equal(config.model.name, "openai/gpt-4o-mini");
  assert.equal(config.providers.openai.apiBase, "http://127.0.0.1:9/v1");
  assert.equal(config.group.enabled, false);
  assert.equal((await Deno.stat(`${home.path}/config.json`)).mode! & 0o777, 0o600);
  for (const f of ["AGENTS.md", "SOUL.md", "USER.md", "TOOLS.md", "IDENTITY.md", "MEMORY.md"]) {
    const path = `${home.path}/soul/${f}`;
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600, f);
  }
  assert.match(await Deno.readTextFile(`${home.path}/soul/IDENTITY.md`), /Name: Ada/);
  assert.ok((await Deno.stat(`${home.path}/workspace`)).isDirectory);
  assert.match(r.stdout, /Soul files in .*: 6 written/);
});

Deno.test("onboard never overwrites an existing soul file without --force", async () => {
  await using home = await tempHome();
  const args = ["--non-interactive", "--provider", "ollama", "--model", "llama3.1", "--skip-test"];
  assert.equal((await onboard(home.path, args)).code, 0);
  await Deno.writeTextFile(`${home.path}/soul/SOUL.md`, "mine");
  const again = await onboard(home.path, args);
  assert.match(again.stdout, /0 written, 6 kept/);
  assert.equal(await Deno.readTextFile(`${home.path}/soul/SOUL.md`), "mine");
  const forced = await onboard(home.path, [...args, "--force"]);
  assert.match(forced.stdout, /6 written/);
  assert.notEqual(await Deno.readTextFile(`${home.path}/soul/SOUL.md`), "mine");
});

Deno.test("onboard asks its questions interactively, the API key among them", async () => {
  await using home = await tempHome();
  const prompter = scriptedPrompter([
    "groq", // provider
    "", // model: the provider's default
    "gsk-secret", // key
    "", // API base
    "", // workspace
    "Ada", // name
    "group", // mode
    "127.0.0.1:9092",
    "",
    "agent-a",
  ]);
  const r = await onboard(home.path, ["--skip-test"], () => prompter);
  assert.equal(r.code, 0, r.stderr);
  const config = JSON.parse(await Deno.readTextFile(`${home.path}/config.json`));
  assert.equal(config.model.name, "groq/llama-3.1-8b-instant");
  assert.equal(config.providers.groq.apiKey, "gsk-secret");
  assert.deepEqual(config.group.kafkaBrokers, ["127.0.0.1:9092"]);
  assert.equal(config.group.name, "kafclaw");
  assert.equal(config.group.agentId, "agent-a");
  assert.equal(config.group.enabled, true);
  assert.equal(config.orchestrator.enabled, false);
  assert.ok(!r.stdout.includes("gsk-secret"), "the key is not printed");
  assert.match(prompter.questions[2]!, /API key for groq/);
  assert.match(await Deno.readTextFile(`${home.path}/soul/IDENTITY.md`), /Name: Ada/);
});

Deno.test("onboard refuses bad answers with a usage error naming what is allowed", async () => {
  await using home = await tempHome();
  const bad = await onboard(home.path, ["--non-interactive", "--provider", "acme"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--provider: expected one of openai, openrouter/);
  const noBrokers = await onboard(home.path, [
    "--non-interactive",
    "--provider",
    "openai",
    "--mode",
    "full",
  ]);
  assert.equal(noBrokers.code, 2);
  assert.match(noBrokers.stderr, /--kafka-brokers is needed/);
  const mode = await onboard(home.path, [
    "--non-interactive",
    "--provider",
    "openai",
    "--mode",
    "headless",
  ]);
  assert.match(mode.stderr, /--mode: expected one of standalone, group, full/);
  const badBroker = await onboard(home.path, [
    "--non-interactive",
    "--provider",
    "openai",
    "--mode",
    "group",
    "--kafka-brokers",
    "not a broker",
  ]);
  assert.equal(badBroker.code, 2);
  assert.match(badBroker.stderr, /--kafka-brokers: expected .*group\.kafkaBrokers/);
  assert.equal(badBroker.stderr.trim().split("\n").length, 1, badBroker.stderr);
  await assert.rejects(Deno.stat(`${home.path}/config.json`), Deno.errors.NotFound);
});
