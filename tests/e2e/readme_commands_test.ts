/**
 * README.md's commands stay true: every shell block is marked (tests/_support/readme_blocks.ts),
 * every kafclaw command in it names only subcommands and flags its `--help` lists, every
 * `deno task` is one of deno.json's, and the blocks marked to run do, through the launcher in a
 * fresh KAFCLAW_HOME against the fake LLM, exiting and printing as README shows.
 */
import assert from "node:assert/strict";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import {
  type Block,
  type BlockCommand,
  denoTask,
  inlineCommands,
  isShell,
  kafclawArgs,
  readBlocks,
} from "../_support/readme_blocks.ts";
import { HelpCache } from "../_support/readme_help.ts";
import { cleanEnv } from "../_support/cli.ts";

const root = new URL("../../", import.meta.url).pathname;
const readme = readBlocks(await Deno.readTextFile(`${root}README.md`));
const helps = new HelpCache();
/** The KAFCLAW_HOME README's examples show. */
const SHOWN_HOME = "/home/you/.kafclaw";

/** One line per shell block without a readable mark. */
function unmarked(blocks: readonly Block[]): string[] {
  return blocks.filter((b) => isShell(b.lang) && !b.mark || b.badMark).map((b) =>
    `README.md:${b.line}: ${b.badMark ?? "a shell block without a readme-test mark"}`
  );
}

/** One line per command of the checked blocks that its --help or deno.json does not know. */
async function unknownCommands(blocks: readonly Block[]): Promise<string[]> {
  const tasks = Object.keys(JSON.parse(await Deno.readTextFile(`${root}deno.json`)).tasks);
  const problems: string[] = [];
  for (const block of blocks) {
    if (block.mark?.kind !== "run" && block.mark?.kind !== "help only") continue;
    for (const command of block.commands) {
      const task = denoTask(command.words);
      if (task !== undefined && !tasks.includes(task)) {
        problems.push(`README.md:${block.line}: no task ${task} in deno.json`);
      }
      const args = kafclawArgs(command.words);
      if (args === undefined) continue;
      for (const p of await helps.problems(args)) problems.push(`README.md:${block.line}: ${p}`);
    }
  }
  return problems;
}

/** A shown output line as a pattern: `…` is any text. */
function shownLine(line: string): RegExp {
  return new RegExp(`^${line.split("…").map((part) => RegExp.escape(part)).join(".*")}$`);
}

/** Runs one command of a run block after the block's earlier exports; says what went wrong. */
async function runCommand(
  block: Block,
  command: BlockCommand,
  exports: readonly string[],
  env: Record<string, string>,
): Promise<string | undefined> {
  const out = await new Deno.Command("sh", {
    args: ["-c", [...exports, command.text].join("\n")],
    cwd: root,
    env: cleanEnv(env),
    clearEnv: true,
    stdin: "null",
    signal: AbortSignal.timeout(90_000),
  }).output();
  const text = (new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr))
    .replaceAll(env.KAFCLAW_HOME!, SHOWN_HOME);
  const where = `README.md:${block.line}: ${command.text}`;
  if (out.code !== command.exit) {
    return `${where}: exited ${out.code}, README says ${command.exit}:\n${text}`;
  }
  const lines = text.split("\n");
  let at = 0;
  for (const shown of command.output) {
    const found = lines.findIndex((line, i) => i >= at && shownLine(shown).test(line));
    if (found < 0) return `${where}: printed no line ${JSON.stringify(shown)} (in order):\n${text}`;
    at = found + 1;
  }
  return undefined;
}

Deno.test("every shell block of README.md says how the docs test treats it", () => {
  assert.deepEqual(unmarked(readme), []);
});

Deno.test("README's kafclaw commands use only subcommands and flags their --help lists", async () => {
  assert.deepEqual(await unknownCommands(readme), []);
});

/** Code spans that read as kafclaw commands but are not the CLI's, each with the reason. */
const NOT_CLI: Readonly<Record<string, string>> = {
  "kafclaw __kafclaw-fs-helper <config>":
    "the compiled binary's reserved first argument, routed before the CLI and kept out of --help",
  "kafclaw may not write /srv/x": "an error message quoted, not a command",
  "scripts/kafclaw install": "the launcher's own command (tests/e2e/launcher_install_test.ts)",
};

Deno.test("README's kafclaw commands in its prose and tables are in their --help too", async () => {
  const problems: string[] = [];
  const spans = inlineCommands(await Deno.readTextFile(`${root}README.md`));
  for (const span of spans.filter((s) => NOT_CLI[s.text] === undefined)) {
    for (const p of await helps.problems(kafclawArgs(span.words)!)) {
      problems.push(`README.md:${span.line}: \`${span.text}\`: ${p}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(spans.length >= 30, `only ${spans.length} kafclaw code spans found`);
  const unused = Object.keys(NOT_CLI).filter((t) => !spans.some((s) => s.text === t));
  assert.deepEqual(unused, [], "an exception README no longer needs");
});

Deno.test("README's run blocks run in a fresh home, exit and print as README shows", async () => {
  await using llm = await startFakeOpenAI({ fallback: "echo", embeddingDimension: 1536 });
  const problems: string[] = [];
  let config: string | undefined;
  let ran = 0;
  for (const block of readme) {
    if (block.mark?.kind === "config.json") config = block.body;
    if (block.mark?.kind !== "run") continue;
    const home = await Deno.makeTempDir({ prefix: "kafclaw-readme-" });
    try {
      if (config !== undefined) {
        await Deno.writeTextFile(`${home}/config.json`, config, { mode: 0o600 });
      }
      config = undefined;
      const env = { KAFCLAW_HOME: home, OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: "sk-readme" };
      const exports: string[] = [];
      for (const command of block.commands) {
        if (command.words[0] === "export") {
          exports.push(command.text);
          continue;
        }
        const problem = await runCommand(block, command, exports, env);
        if (problem) problems.push(problem);
        ran++;
      }
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(ran >= 5, `only ${ran} README commands ran`);
});

Deno.test("the docs test finds an unmarked block, an unknown flag and an unknown subcommand", async () => {
  const blocks = readBlocks([
    "```sh",
    "scripts/kafclaw version",
    "```",
    "<!-- readme-test: help only (an example) -->",
    "```sh",
    "scripts/kafclaw doctor --fix --no-such-flag",
    "KAFCLAW_X=1 scripts/kafclaw config sett a b",
    "deno task no-such-task",
    "```",
  ].join("\n"));
  assert.deepEqual(unmarked(blocks), ["README.md:1: a shell block without a readme-test mark"]);
  const [span] = inlineCommands("Run `kafclaw group init\\|jion [--gated] [--bogus]`.");
  assert.deepEqual(await helps.problems(kafclawArgs(span!.words)!), [
    "kafclaw group: no subcommand jion in its --help",
    "kafclaw group: no flag --gated in its --help",
    "kafclaw group: no flag --bogus in its --help",
  ]);
  const [init] = inlineCommands("Run `kafclaw group init NAME [--gated]`.");
  assert.deepEqual(await helps.problems(kafclawArgs(init!.words)!), [
    "kafclaw group init: takes 0 argument(s), given NAME",
  ]);
  assert.deepEqual(await unknownCommands(blocks), [
    "README.md:5: kafclaw doctor: no flag --no-such-flag in its --help",
    "README.md:5: kafclaw config: no subcommand sett in its --help",
    "README.md:5: no task no-such-task in deno.json",
  ]);
});
