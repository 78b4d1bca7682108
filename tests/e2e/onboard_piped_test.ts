/**
 * `kafclaw onboard` with its answers piped in (no terminal), through scripts/kafclaw: plain
 * questions, one a line; a list answered by its number; a bad answer asked again; no colour.
 */
import assert from "node:assert/strict";
import { kafclawCommand, tempHome } from "../_support/cli.ts";

Deno.test("onboard reads piped answers as plain lines, a list by number, and asks a bad one again", async () => {
  await using home = await tempHome();
  const answers = [
    "acme", // not a provider
    "7", // groq, by its number
    "groq/llama-3.3-70b-versatile", // provider/model for the chosen provider
    "gsk-piped",
    "", // the provider's own API base
    "", // the default workspace
    "Ada",
    "1", // standalone
    "n", // no test call
  ];
  const child = kafclawCommand(["onboard"], { KAFCLAW_HOME: home.path }, { stdin: "piped" })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(answers.join("\n") + "\n"));
  await writer.close();
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const config = JSON.parse(await Deno.readTextFile(`${home.path}/config.json`));
  assert.equal(config.model.name, "groq/llama-3.3-70b-versatile");
  assert.equal(config.providers.groq.apiKey, "gsk-piped");
  assert.equal(config.paths, undefined, "the default workspace is not written");
  const lines = stderr.split("\n");
  assert.match(lines[0]!, /^LLM provider \(1 openai, 2 openrouter, .*\) \[openai\]: $/);
  assert.match(lines[1]!, /^ {2}expected one of openai, .*; try again$/);
  assert.match(lines[2]!, /^LLM provider /);
  assert.match(lines[3]!, /^Model at groq \[llama-3\.1-8b-instant\]: $/);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(stderr, /\x1b|gsk-piped|acme/);
});
