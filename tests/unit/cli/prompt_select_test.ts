// deno-lint-ignore-file no-control-regex
/**
 * The list selector on a terminal, fed keys as a terminal sends them: arrows move (and wrap),
 * Enter or a number picks, Ctrl-C and Ctrl-D cancel, colour only when allowed; and a typed answer
 * to a list (no terminal) picks by number.
 */
import assert from "node:assert/strict";
import { selectOnTerminal } from "../../../cli/_prompt_select.ts";
import { typedChoice } from "../../../cli/_prompt.ts";

const choices = [{ value: "standalone" }, { value: "group", note: "over Kafka" }, {
  value: "full",
}];

function run(keys: string[], options: { colour?: boolean; fallback?: string } = {}) {
  const written: string[] = [];
  const result = selectOnTerminal({
    question: "Mode",
    choices,
    fallback: options.fallback,
    colour: options.colour ?? false,
    write: (text) => written.push(text),
    readKey: () => Promise.resolve(keys.shift()),
  });
  return { result, written };
}

Deno.test("arrows move from the default, wrapping at both ends, and Enter picks", async () => {
  assert.equal(await run(["\x1b[B", "\r"], { fallback: "group" }).result, "full");
  assert.equal(await run(["\x1b[B", "\x1b[B", "\r"], { fallback: "group" }).result, "standalone");
  assert.equal(await run(["\x1b[A", "\r"]).result, "full");
  assert.equal(await run(["k", "j", "j", "\r"]).result, "group");
  assert.equal(
    await run(["x", "\r"], { fallback: "full" }).result,
    "full",
    "other keys do nothing",
  );
});

Deno.test("a number picks its line at once, and the answer replaces the list", async () => {
  const { result, written } = run(["2"]);
  assert.equal(await result, "group");
  assert.match(written.at(-1)!, /\x1b\[3A\x1b\[JMode: group\r\n$/);
});

Deno.test("Ctrl-C and Ctrl-D cancel; end of input answers nothing", async () => {
  await assert.rejects(run(["\x03"]).result, Deno.errors.Interrupted);
  await assert.rejects(run(["\x1b[B", "\x04"]).result, Deno.errors.Interrupted);
  assert.equal(await run([]).result, undefined);
});

Deno.test("colour only when allowed: without it, no colour codes at all", async () => {
  const plain = run(["\x1b[B", "\r"]);
  await plain.result;
  assert.doesNotMatch(plain.written.join(""), /\x1b\[[0-9;]*m/);
  assert.match(plain.written[0]!, /❯ 1 standalone\r\n {2}2 group {2}over Kafka/);
  const coloured = run(["\r"], { colour: true });
  await coloured.result;
  assert.match(coloured.written[0]!, /\x1b\[36m❯ 1 standalone\x1b\[0m/);
});

Deno.test("a typed answer to a list picks by its number, else stays as typed", () => {
  assert.equal(typedChoice("2", choices), "group");
  assert.equal(typedChoice("full", choices), "full");
  assert.equal(typedChoice("4", choices), "4");
  assert.equal(typedChoice("0", choices), "0");
});
