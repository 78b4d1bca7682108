/**
 * `kafclaw agent` at a terminal, through scripts/kafclaw in a pseudo terminal, against the fake
 * OpenAI-compatible server: the line editor (arrow keys edit, up recalls, the history kept in
 * KAFCLAW_HOME), Ctrl-D and Ctrl-C, a pasted block and a trailing backslash as one message, the
 * slash commands, and `-m -`. What reached the model is read from the fake's request log.
 */
import assert from "node:assert/strict";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import { kafclawCommand, tempHome } from "../_support/cli.ts";
import { inPty, KEY, pasted, plain } from "../_support/pty.ts";
import { agentEnv, sent } from "../_support/repl.ts";

const launcher = new URL("../../scripts/kafclaw", import.meta.url).pathname;

Deno.test("agent at a terminal: arrow keys edit the line, up recalls it, the history outlives the run, Ctrl-D leaves", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ fallback: "echo" });
  const key = `sk-${crypto.randomUUID()}`;
  const env = agentEnv(home.path, llm, { OPENAI_API_KEY: key });
  const first = await inPty([launcher, "agent"], [
    ["you: ", `ab${KEY.left}c${KEY.enter}`],
    ["echo: acb.*you: ", KEY.up + KEY.enter],
    ["echo: acb.*you: ", `my key is ${key}${KEY.enter}`],
    ["echo: my key.*you: ", KEY.ctrlD],
  ], env);
  const out = plain(first.output);
  assert.equal(first.failed, null, out);
  assert.equal(first.code, 0, out);
  assert.deepEqual(
    sent(llm).slice(0, 2),
    ["acb", "acb"],
    "the arrow key edited the line, never reached it",
  );
  // deno-lint-ignore no-control-regex
  assert.match(first.output, /you: \x1b\[\d+G\r?\n/, "Ctrl-D ends the prompt's line");
  const history = `${home.path}/history`;
  assert.equal((await Deno.stat(history)).mode! & 0o777, 0o600);
  assert.equal(
    await Deno.readTextFile(history),
    "acb\n",
    "a line with a configured key is not kept",
  );

  const second = await inPty([launcher, "agent"], [
    ["you: ", KEY.up + "d" + KEY.enter],
    ["echo: acbd.*you: ", KEY.ctrlD],
  ], env);
  assert.equal(second.failed, null, plain(second.output));
  assert.equal(second.code, 0);
  assert.equal(sent(llm).at(-1), "acbd", "up recalled a line of the earlier run");
});

Deno.test("agent at a terminal: Ctrl-C clears the prompt and says how to leave, cancels a turn, twice leaves", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({
    chat: [{ text: "a story that never ends", hang: true }],
    fallback: "echo",
  });
  const r = await inPty([launcher, "agent"], [
    ["you: ", "half a thought" + KEY.ctrlC],
    ["you: ", KEY.ctrlC],
    ["Ctrl-C again or Ctrl-D to leave.*you: ", "tell me a story" + KEY.enter],
    ["a story that never", KEY.ctrlC],
    ["cancelled.*you: ", "after" + KEY.enter],
    ["echo: after.*you: ", "later" + KEY.enter],
    ["echo: later.*you: ", KEY.ctrlC + KEY.ctrlC],
  ], agentEnv(home.path, llm));
  const out = plain(r.output);
  assert.equal(r.failed, null, out);
  assert.equal(r.code, 0, out);
  assert.deepEqual(sent(llm), ["tell me a story", "after", "later"], "the cleared line never sent");
  // The cancelled turn's request was dropped then, not when the process ended: the server saw its
  // client go away mid-stream while the process went on (before the turn after the next one; the
  // next one's request may come first on a busy machine, on a connection of its own).
  const [dropped] = llm.abandonedStreams();
  assert.ok(dropped !== undefined && dropped < llm.chatRequests()[2]!.at, `dropped at ${dropped}`);
  // The cancelled turn is in the session, and the next turn sees it: nothing was lost.
  const messages =
    (llm.chatRequests()[1]!.body as { messages: { role: string; content: string }[] })
      .messages.filter((m) => m.role !== "system").map((m) => m.content);
  assert.equal(messages[0], "tell me a story");
  assert.match(messages[1]!, /cancelled/);
});

Deno.test("agent at a terminal: a pasted block and a line ended by a backslash are one message each", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ fallback: "echo" });
  const r = await inPty([launcher, "agent"], [
    ["you: ", "look: " + pasted("line one\nline two\nline three") + KEY.enter],
    ["echo: look.*you: ", "first \\" + KEY.enter],
    ["\\.\\.\\.: ", "second" + KEY.enter],
    ["echo: first.*you: ", KEY.ctrlD],
  ], agentEnv(home.path, llm));
  const out = plain(r.output);
  assert.equal(r.failed, null, out);
  assert.equal(r.code, 0, out);
  assert.deepEqual(sent(llm), ["look: line one\nline two\nline three", "first \nsecond"]);
});

Deno.test("agent's slash commands: /help and an unknown one list them, /new starts a session and keeps the old, /exit leaves; none reaches the model", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ fallback: "echo" });
  const r = await inPty([launcher, "agent", "-s", "cli:first"], [
    ["you: ", "remember me" + KEY.enter],
    ["echo: remember me.*you: ", "/help" + KEY.enter],
    ["/exit.*you: ", "/bogus" + KEY.enter],
    ["you: ", "/new" + KEY.enter],
    ["New session.*you: ", "who am I" + KEY.enter],
    ["echo: who am I.*you: ", "/exit" + KEY.enter],
  ], agentEnv(home.path, llm));
  const out = plain(r.output);
  assert.equal(r.failed, null, out);
  assert.equal(r.code, 0, out);
  assert.deepEqual(sent(llm), ["remember me", "who am I"], "slash commands never reach the model");
  assert.match(out, /\/help +this list\n +\/new +start a new session.*\n +\/exit +leave/);
  assert.match(out, /Unknown command \/bogus; the commands are:\n +\/help/);
  assert.match(out, /New session cli:\S+; cli:first is kept \(continue it with -s cli:first\)/);
  const second = (llm.chatRequests()[1]!.body as { messages: { role: string }[] }).messages;
  assert.deepEqual(second.filter((m) => m.role !== "system").map((m) => m.role), ["user"]);
  const sessions = [...Deno.readDirSync(`${home.path}/sessions`)].map((e) => e.name).sort();
  assert.equal(sessions.length, 2, sessions.join(", "));
  assert.ok(sessions.some((name) => name.startsWith("cli_first.")), sessions.join(", "));
});

Deno.test("agent -m - reads the message from stdin, every line of it", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ fallback: "echo" });
  const child = kafclawCommand(["agent", "-m", "-"], {
    KAFCLAW_HOME: home.path,
    OPENAI_BASE_URL: llm.url,
    KAFCLAW_MODEL: "openai/gpt-test",
  }, { stdin: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("from stdin\nand a second line\n"));
  await writer.close();
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.deepEqual(sent(llm), ["from stdin\nand a second line"]);
  assert.equal(new TextDecoder().decode(out.stdout), "echo: from stdin\nand a second line\n");
  assert.doesNotMatch(stderr, /thinking/, "no busy line where nobody watches");
});

Deno.test("agent at a terminal: a busy line until the first token and while a tool runs, cleared before the answer", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({
    chat: [
      {
        toolCalls: [{ id: "s1", name: "exec", arguments: { command: "sleep 1" } }],
        delayMs: 800,
      },
      { text: "slept well", delayMs: 800 },
    ],
  });
  const r = await inPty([launcher, "agent"], [
    ["you: ", "sleep a little" + KEY.enter],
    ["slept well.*you: ", KEY.ctrlD],
  ], agentEnv(home.path, llm, { KAFCLAW_POLICY_MAX_AUTO_TIER: "2" }));
  const out = plain(r.output);
  assert.equal(r.failed, null, out);
  assert.equal(r.code, 0, out);
  const thinking = out.indexOf("thinking…");
  const running = out.indexOf("running exec…");
  assert.ok(thinking >= 0 && running > thinking, out);
  assert.ok(out.indexOf("thinking…", running) > running, "thinking again after the tool: " + out);
  // Cleared on its own line, right before the answer: the answer starts a clean line.
  assert.ok(r.output.includes("\r\x1b[Kslept well"), JSON.stringify(r.output));
  assert.ok(r.output.includes("\r\x1b[K· exec"), "cleared before the line about the call");
});
