/**
 * `kafclaw onboard` at a terminal, through scripts/kafclaw in a pseudo terminal: choices picked
 * with the arrow keys, a bad answer asked again with one line of reason, a workspace outside
 * KAFCLAW_HOME, a one-token test call to the configured model (the fake OpenAI-compatible
 * server), the current set-up's values as the defaults of a second run, and keep / modify.
 */
import assert from "node:assert/strict";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import { tempHome } from "../_support/cli.ts";
import { inPty, KEY, plain, ptyEnvironment } from "../_support/pty.ts";

const launcher = new URL("../../scripts/kafclaw", import.meta.url).pathname;

const environment = ptyEnvironment;

const readConfig = async (home: string) =>
  JSON.parse(await Deno.readTextFile(`${home}/config.json`));

Deno.test("onboard at a terminal: arrow keys, bad answers asked again, a workspace anywhere, a test call", async () => {
  await using home = await tempHome();
  await using elsewhere = await tempHome();
  await using llm = await startFakeOpenAI({ chat: [{ text: "OK" }] });
  const workspace = `${elsewhere.path}/projects/ws`;
  const r = await inPty([launcher, "onboard"], [
    ["LLM provider", KEY.down + KEY.up + KEY.enter], // down to openrouter, back up to openai
    ["Model at openai.*: ", "openai/gpt-4o\r"],
    ["API key for openai.*: ", "sk-test-key\r"],
    ["API base URL.*: ", "not a url\r"],
    ["try again.*API base URL.*: ", `${llm.url}\r`],
    ["Workspace folder.*: ", `${workspace}\r`],
    ["name.*: ", "Ada\r"],
    ["Mode", KEY.down + KEY.enter],
    ["Kafka brokers.*: ", "not a broker\r"],
    ["try again.*Kafka brokers.*: ", "127.0.0.1:9092\r"],
    ["Group name.*: ", "\r"],
    ["Agent id.*: ", "agent-a\r"],
    ["one-token call.*: ", "\r"],
  ], environment(home.path, { NO_COLOR: "1" }));
  const out = plain(r.output);
  assert.equal(r.failed, null, out);
  assert.equal(r.code, 0, out);
  const config = await readConfig(home.path);
  assert.equal(
    config.model.name,
    "openai/gpt-4o",
    "provider/model given for openai is openai/gpt-4o",
  );
  assert.equal(config.providers.openai.apiKey, "sk-test-key");
  assert.equal(config.providers.openai.apiBase, llm.url);
  assert.equal(config.paths.workspace, workspace);
  assert.ok((await Deno.stat(workspace)).isDirectory, "the workspace outside KAFCLAW_HOME is made");
  assert.deepEqual(config.group.kafkaBrokers, ["127.0.0.1:9092"]);
  assert.equal(config.group.agentId, "agent-a");
  assert.match(await Deno.readTextFile(`${home.path}/soul/IDENTITY.md`), /Name: Ada/);
  // Each bad answer: one line of reason, never a flag the user did not type, nor the answer.
  const reasons = out.split("\n").filter((line) => line.includes("try again"));
  assert.equal(reasons.length, 2, out);
  for (const line of reasons) {
    assert.doesNotMatch(line, /--|not a url|not a broker/, line);
    assert.match(line, /^\s+expected /, line);
  }
  assert.doesNotMatch(out, /sk-test-key|allow-|Deno|permission/i);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(r.output, /\x1b\[(1|2|36)m/, "NO_COLOR: no colour");
  // The one-token test call reached the configured model.
  const calls = llm.chatRequests();
  assert.equal(calls.length, 1);
  const body = calls[0]!.body as Record<string, unknown>;
  assert.equal(body.model, "gpt-4o");
  assert.equal(body.max_tokens ?? body.max_completion_tokens, 1);
  assert.equal(calls[0]!.headers.authorization, "Bearer sk-test-key");
  assert.match(out, /Test call: openai\/gpt-4o answered in \d+ ms/);
  assert.ok(out.includes(`Next: ${launcher} agent -m "hello"`), out);
});

Deno.test("onboard again: the current values are the defaults, Enter keeps them, keep writes nothing", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ fallback: { text: "OK" } });
  const first = await new Deno.Command(launcher, {
    args: ["onboard", "--non-interactive", "--model", "openai/gpt-4o", "--api-base", llm.url]
      .concat(["--api-key", "sk-x", "--name", "Ada", "--skip-test"]),
    env: environment(home.path),
    clearEnv: true,
  }).output();
  assert.equal(first.code, 0, new TextDecoder().decode(first.stderr));
  const before = await Deno.readTextFile(`${home.path}/config.json`);
  const enter = (pattern: string) => [pattern, "\r"] as const;
  const modify = await inPty([launcher, "onboard"], [
    ["A set-up exists .*openai/gpt-4o, standalone", KEY.enter], // modify, the default
    enter("LLM provider"),
    enter("Model at openai \\[gpt-4o\\]: "),
    enter("Enter keeps the current one.*: "),
    enter(`API base URL.*\\[${llm.url.replaceAll(".", "\\.")}\\]: `),
    enter(`Workspace folder.*: `),
    enter("name \\[Ada\\]: "),
    enter("Mode"),
    ["one-token call.*: ", "n\r"],
  ], environment(home.path));
  const out = plain(modify.output);
  assert.equal(modify.failed, null, out);
  assert.equal(modify.code, 0, out);
  // deno-lint-ignore no-control-regex
  assert.match(modify.output, /\x1b\[36m❯ 1 openai/, "the list is in colour without NO_COLOR");
  const after = await readConfig(home.path);
  assert.deepEqual(after, JSON.parse(before), "Enter everywhere keeps every value");
  assert.equal(llm.chatRequests().length, 0, "the test call was declined");

  const keep = await inPty([launcher, "onboard"], [
    ["A set-up exists", KEY.up + KEY.enter],
  ], environment(home.path, { NO_COLOR: "1" }));
  assert.equal(keep.code, 0, plain(keep.output));
  assert.match(plain(keep.output), /Kept the set-up in .*; nothing was written/);
  assert.equal(await Deno.readTextFile(`${home.path}/config.json`), before);
});

Deno.test("onboard cancelled with Ctrl-C at a question writes nothing", async () => {
  await using home = await tempHome();
  const r = await inPty([launcher, "onboard"], [
    ["LLM provider", KEY.enter],
    ["Model at openai.*: ", "gpt-4o\r"],
    ["API key for openai.*: ", KEY.ctrlC],
  ], environment(home.path, { NO_COLOR: "1" }));
  assert.equal(r.failed, null, plain(r.output));
  assert.equal(r.code, 130, plain(r.output));
  await assert.rejects(Deno.stat(`${home.path}/config.json`), Deno.errors.NotFound);
});
