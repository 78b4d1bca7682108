/**
 * Onboarding's answers, with a scripted prompter: a reset keeps the old file aside and starts
 * from built-in defaults, `provider/model` names the provider, a name change reaches a kept
 * IDENTITY.md, answers that never hold stop the wizard without writing, and a missing key is a
 * warning.
 */
import assert from "node:assert/strict";
import type { Prompter } from "../../../cli/_prompt.ts";
import { kafclawAnswering } from "../../_support/cli_in_process.ts";
import { noPrompter, scriptedPrompter } from "../../_support/prompter.ts";
import { tempHome } from "../../_support/cli.ts";

const onboard = (home: string, args: string[], prompter: () => Prompter = noPrompter) =>
  kafclawAnswering({ KAFCLAW_HOME: home }, prompter, ["onboard", ...args]);

const config = async (home: string) => JSON.parse(await Deno.readTextFile(`${home}/config.json`));

Deno.test("a model given as provider/model names the provider, once", async () => {
  await using home = await tempHome();
  const r = await onboard(home.path, [
    "--non-interactive",
    "--model",
    "anthropic/claude-sonnet-4-5",
    "--skip-test",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await config(home.path)).model.name, "anthropic/claude-sonnet-4-5");
  assert.match(r.stderr, /^Warning: .*providers\.anthropic\.apiKey/m);
  const both = await onboard(home.path, [
    "--non-interactive",
    "--provider",
    "openrouter",
    "--model",
    "openai/gpt-4o",
    "--skip-test",
  ]);
  assert.equal(both.code, 0, both.stderr);
  assert.equal((await config(home.path)).model.name, "openrouter/openai/gpt-4o");
});

Deno.test("reset keeps the old set-up aside and asks from the built-in defaults", async () => {
  await using home = await tempHome();
  const setup = ["--non-interactive", "--provider", "groq", "--api-key", "gsk-1", "--skip-test"];
  assert.equal((await onboard(home.path, setup)).code, 0);
  const prompter = scriptedPrompter(["reset", "", "", "", "", "", "", "", "n"]);
  const r = await onboard(home.path, [], () => prompter);
  assert.equal(r.code, 0, r.stderr);
  assert.match(prompter.questions[1]!, /LLM provider/);
  assert.equal((await config(home.path)).model.name, "openai/gpt-4o-mini");
  assert.equal((await config(home.path)).providers, undefined, "the old key went with the reset");
  const kept = [...Deno.readDirSync(home.path)].filter((e) => e.name.endsWith(".bak"));
  assert.equal(kept.length, 1);
  assert.match(await Deno.readTextFile(`${home.path}/${kept[0]!.name}`), /gsk-1/);
  assert.match(r.stdout, /The old set-up is kept in .*\.bak/);
});

Deno.test("a new name reaches the kept IDENTITY.md, and the other soul files stay", async () => {
  await using home = await tempHome();
  const args = ["--non-interactive", "--provider", "ollama", "--skip-test"];
  assert.equal((await onboard(home.path, [...args, "--name", "Ada"])).code, 0);
  await Deno.writeTextFile(`${home.path}/soul/SOUL.md`, "mine");
  const r = await onboard(home.path, [...args, "--name", "Grace"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(await Deno.readTextFile(`${home.path}/soul/IDENTITY.md`), /^- Name: Grace$/m);
  assert.equal(await Deno.readTextFile(`${home.path}/soul/SOUL.md`), "mine");
  assert.match(r.stdout, /the agent's name in IDENTITY\.md is now Grace/);
});

Deno.test("answers that never hold stop onboarding with nothing written", async () => {
  await using home = await tempHome();
  const prompter = scriptedPrompter([
    "openai",
    "",
    "",
    "",
    "",
    "",
    "group",
    ...Array(5).fill("x y"),
  ]);
  const r = await onboard(home.path, ["--skip-test"], () => prompter);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /Onboarding stopped: no valid answer to "Kafka brokers.*"; nothing was written/,
  );
  assert.equal(r.stderr.split("\n").filter((l) => l.includes("try again")).length, 4);
  await assert.rejects(Deno.stat(`${home.path}/config.json`), Deno.errors.NotFound);
  await assert.rejects(Deno.stat(`${home.path}/soul`), Deno.errors.NotFound);
});

Deno.test("a workspace that is a file is refused at its question", async () => {
  await using home = await tempHome();
  const file = `${home.path}/a-file`;
  await Deno.writeTextFile(file, "");
  const prompter = scriptedPrompter(["ollama", "", "", file, `${home.path}/ws`, "", "", "n"]);
  const r = await onboard(home.path, [], () => prompter);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /a-file is a file, not a folder; try again/);
  assert.equal((await config(home.path)).paths.workspace, `${home.path}/ws`);
});

Deno.test("a relative workspace in config.json is offered as what it means: under KAFCLAW_HOME", async () => {
  await using home = await tempHome();
  await Deno.writeTextFile(
    `${home.path}/config.json`,
    JSON.stringify({ model: { name: "ollama/llama3.1" }, paths: { workspace: "ws" } }),
    { mode: 0o600 },
  );
  const prompter = scriptedPrompter(["modify", "", "", "", "", "", "", "n"]);
  const r = await onboard(home.path, [], () => prompter);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await config(home.path)).paths.workspace, `${home.path}/ws`);
  assert.ok((await Deno.stat(`${home.path}/ws`)).isDirectory);
});

Deno.test("a config.json that does not parse is offered a reset, kept aside, never lost", async () => {
  await using home = await tempHome();
  await Deno.writeTextFile(`${home.path}/config.json`, "{ not json", { mode: 0o600 });
  const stop = scriptedPrompter([""]);
  const kept = await onboard(home.path, [], () => stop);
  assert.equal(kept.code, 0, kept.stderr);
  assert.match(stop.questions[0]!, /config\.json/);
  assert.equal(await Deno.readTextFile(`${home.path}/config.json`), "{ not json");
  const refused = await onboard(home.path, [
    "--non-interactive",
    "--provider",
    "ollama",
    "--skip-test",
  ]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /fix or move it, then onboard/);
  const prompter = scriptedPrompter(["reset", "ollama", "", "", "", "", "", "n"]);
  const reset = await onboard(home.path, [], () => prompter);
  assert.equal(reset.code, 0, reset.stderr);
  assert.equal((await config(home.path)).model.name, "ollama/llama3.1");
  const bak = [...Deno.readDirSync(home.path)].find((e) => e.name.endsWith(".bak"))!;
  assert.equal(await Deno.readTextFile(`${home.path}/${bak.name}`), "{ not json");
});
