/**
 * `kafclaw agent` under faults, as a user meets them: stopped by SIGTERM, killed with -9 at a known
 * step, two processes on one session, and a full disk. Every step waits on what the processes
 * show (a request at the fake LLM, a line on stderr), never on a fixed time.
 */
import assert from "node:assert/strict";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import { Child } from "../_support/child.ts";
import { kafclaw, kafclawCommand, tempHome } from "../_support/cli.ts";
import { smallDisk, TMPFS } from "../_support/full_disk.ts";
import { waitFor } from "../_support/wait.ts";

type Chat = { messages: { role: string; content: string }[] };

const envOf = (home: string, url: string) => ({
  KAFCLAW_HOME: home,
  OPENAI_BASE_URL: url,
  KAFCLAW_MODEL: "openai/gpt-test",
});

/** The run folders (`run/sandbox-*`) under a home. */
function runDirs(home: string): string[] {
  try {
    return [...Deno.readDirSync(`${home}/run`)].map((e) => e.name)
      .filter((n) => n.startsWith("sandbox-")).sort();
  } catch {
    return [];
  }
}

/** The JSON lines of the one session file under a home. */
async function sessionLines(home: string): Promise<Record<string, unknown>[]> {
  const [file] = [...Deno.readDirSync(`${home}/sessions`)].filter((e) => e.name.endsWith(".jsonl"));
  const text = await Deno.readTextFile(`${home}/sessions/${file!.name}`);
  return text.trim().split("\n").map((l) => JSON.parse(l));
}

/** What a chat request sent, without the system prompt. */
const asked = (body: unknown) =>
  (body as Chat).messages.filter((m) => m.role !== "system").map((m) => m.content);

Deno.test("SIGTERM during a turn records it as interrupted, cleans up and exits 143", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ chat: [{ text: "a long story", hang: true }] });
  await using agent = new Child(
    kafclawCommand(["agent", "-m", "tell me"], envOf(home.path, llm.url)),
  );
  await waitFor(() => llm.chatRequests().length === 1, "the request at the LLM");
  assert.equal(await agent.stop("SIGTERM"), 143, agent.stderr);
  assert.match(agent.stderr, /^kafclaw: stopped \(SIGTERM\)$/m);
  const lines = await sessionLines(home.path);
  assert.deepEqual(lines.slice(1).map((l) => l.role ?? l._type), [
    "user",
    "assistant",
    "interrupted",
  ]);
  assert.equal(lines.at(-1)!.reason, "kafclaw was stopped (SIGTERM)");
  assert.deepEqual(runDirs(home.path), [], "no sandbox folder left");
});

Deno.test("SIGTERM at the interactive prompt leaves as Ctrl-D does, with exit 143", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI();
  await using agent = new Child(
    kafclawCommand(["agent"], envOf(home.path, llm.url), { stdin: "piped" }),
  );
  await agent.until(/kafclaw agent — session cli:default/, "stderr");
  assert.equal(runDirs(home.path).length, 1, "a live agent has its run folder");
  assert.equal(await agent.stop("SIGTERM"), 143, agent.stderr);
  assert.deepEqual(runDirs(home.path), []);
});

Deno.test("after a kill -9 mid-turn the next run goes in at once, marks the turn, and removes only dead run folders", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({
    chat: [{ text: "never", hang: true }],
    fallback: "echo",
  });
  const env = envOf(home.path, llm.url);
  const killed = new Child(kafclawCommand(["agent", "-m", "first question"], env));
  await waitFor(() => llm.chatRequests().length === 1, "the first question at the LLM");
  await killed.stop("SIGKILL");
  const [dead] = runDirs(home.path);
  assert.ok(dead, "the killed process left its run folder");
  // A live agent on another session keeps its run folder through the next start.
  await using live = new Child(
    kafclawCommand(["agent", "-s", "cli:other"], env, { stdin: "piped" }),
  );
  await live.until(/kafclaw agent — session cli:other/, "stderr");
  const [alive] = runDirs(home.path).filter((d) => d !== dead);
  const next = await kafclaw(["agent", "-m", "second question"], env);
  assert.equal(next.code, 0, next.stderr);
  assert.equal(next.stdout, "echo: second question\n");
  assert.doesNotMatch(next.stderr, /busy/, "the dead holder is not waited for");
  assert.deepEqual(asked(llm.chatRequests()[1]!.body), [
    "first question",
    "(interrupted: the turn stopped before answering (its process ended))",
    "second question",
  ]);
  assert.deepEqual(runDirs(home.path), [alive]);
  await live.process.stdin.close();
  assert.equal(await live.exit(), 0, live.stderr);
});

Deno.test("two processes on one session take turns: the second sees the first's answer", async () => {
  await using home = await tempHome();
  const release = Promise.withResolvers<void>();
  await using llm = await startFakeOpenAI({
    chat: [async () => (await release.promise, { text: "first answer" })],
    fallback: "echo",
  });
  const env = envOf(home.path, llm.url);
  try {
    await using first = new Child(kafclawCommand(["agent", "-s", "cli:s", "-m", "one"], env));
    await waitFor(() => llm.chatRequests().length === 1, "the first question at the LLM");
    await using second = new Child(kafclawCommand(["agent", "-s", "cli:s", "-m", "two"], env));
    await second.until(/session cli:s is busy in another kafclaw process/, "stderr");
    assert.equal(llm.chatRequests().length, 1, "the second asks nothing while the first runs");
    release.resolve();
    assert.equal(await first.exit(), 0, first.stderr);
    assert.equal(await second.exit(), 0, second.stderr);
    assert.equal(second.stdout, "echo: two\n");
    assert.deepEqual(asked(llm.chatRequests()[1]!.body), ["one", "first answer", "two"]);
  } finally {
    release.resolve();
  }
});

Deno.test({
  name: "on a nearly full disk the agent does not start, and says the disk is full and where",
  ignore: !TMPFS,
  async fn() {
    await using disk = (await smallDisk(2048))!;
    await using llm = await startFakeOpenAI({ fallback: "echo" });
    const env = envOf(`${disk.path}/home`, llm.url);
    const first = await kafclaw(["agent", "-m", "hello"], env);
    assert.equal(first.code, 0, first.stderr);
    await disk.fill(40 * 1024);
    const r = await kafclaw(["agent", "-m", "hello again"], env);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^kafclaw: The disk holding \S+\/home is full \(\d+ KiB free\): free some space there and try again\n$/,
    );
    assert.equal(r.stdout, "");
    assert.equal(llm.chatRequests().length, 1, "nothing was asked");
  },
});

Deno.test({
  name:
    "a disk that fills up during a turn is reported in one line after the answer, which was not saved",
  ignore: !TMPFS,
  async fn() {
    await using disk = (await smallDisk(4096))!;
    await using llm = await startFakeOpenAI({
      chat: [async () => (await disk.fill(0), { text: "An answer that cannot be kept." })],
      fallback: "echo",
    });
    const env = envOf(`${disk.path}/home`, llm.url);
    const r = await kafclaw(["agent", "-m", "hello"], env);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, "An answer that cannot be kept.\n");
    assert.match(
      r.stderr,
      /^kafclaw: the answer above was not saved: The disk holding \S+ is full \(\d+ bytes free\): free some space there and try again\n$/,
    );
    await disk.drain();
    const next = await kafclaw(["agent", "-m", "again"], env);
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(asked(llm.chatRequests()[1]!.body), [
      "hello",
      "(interrupted: the turn stopped before answering (its process ended))",
      "again",
    ]);
  },
});

/**
 * Whether process `pid` catches `signal` (its handler is set: /proc's SigCgt mask, read by `cat`:
 * Deno grants /proc to a process allowed everything alone).
 */
async function catches(pid: number, signal: number): Promise<boolean> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/status`], stderr: "null" })
    .output();
  const status = new TextDecoder().decode(out.stdout);
  const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return mask !== undefined && (BigInt(`0x${mask}`) >> BigInt(signal - 1) & 1n) === 1n;
}

Deno.test("SIGINT or SIGTERM while -m - waits for stdin ends the command at once, saying so", async () => {
  await using home = await tempHome();
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    // stdin piped and never written nor closed: the message never comes.
    await using child = new Child(
      kafclawCommand(["agent", "-m", "-"], envOf(home.path, "http://127.0.0.1:9/v1"), {
        stdin: "piped",
      }),
    );
    // Listening for both signals: waiting for its message.
    await waitFor(
      async () => await catches(child.process.pid, 2) && await catches(child.process.pid, 15),
      "the agent's signal handlers",
    );
    // Before, it went on waiting for its message: the wait is bounded here, not by the test's.
    assert.equal(await child.stopWithin(signal, 15_000), code, child.stderr);
    assert.equal(
      child.stderr.trim(),
      `kafclaw: stopped (${signal}) while reading the message from stdin`,
    );
    await child.process.stdin.close().catch(() => {});
  }
});
