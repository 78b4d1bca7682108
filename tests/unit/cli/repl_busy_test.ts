import assert from "node:assert/strict";
import { BusyLine } from "../../../cli/_repl_busy.ts";
import type { Io } from "../../../cli/_io.ts";

function recorder() {
  const screen: string[] = [];
  const io: Io = {
    out: (t) => screen.push(`out:${t}`),
    err: (t) => screen.push(`err:${t}`),
    write: (t) => screen.push(`write:${t}`),
  };
  return { screen, io, write: (t: string) => screen.push(`busy:${t}`) };
}

Deno.test("the busy line is cleared before an answer is written and not drawn again after it", () => {
  const r = recorder();
  const busy = new BusyLine(true, r.write);
  const io = busy.io(r.io);
  busy.show("thinking");
  io.write("Hello");
  busy.stop();
  assert.ok(r.screen[0]!.startsWith("busy:\r\x1b[K") && r.screen[0]!.endsWith(" thinking…"));
  assert.deepEqual(r.screen.slice(1), ["busy:\r\x1b[K", "write:Hello"]);
});

Deno.test("a line on stderr moves the busy line out of the way and brings it back", () => {
  const r = recorder();
  const busy = new BusyLine(true, r.write);
  busy.show("running exec");
  busy.io(r.io).err("… waiting for openai/gpt-test");
  busy.stop();
  assert.deepEqual(r.screen.slice(1, 4), [
    "busy:\r\x1b[K",
    "err:… waiting for openai/gpt-test",
    r.screen[3],
  ]);
  assert.match(r.screen[3]!, /running exec…$/);
});

Deno.test("a busy line that is not enabled writes nothing", () => {
  const r = recorder();
  const busy = new BusyLine(false, r.write);
  busy.show("thinking");
  busy.io(r.io).write("Hello");
  busy.stop();
  assert.deepEqual(r.screen, ["write:Hello"]);
});
