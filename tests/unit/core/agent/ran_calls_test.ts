import assert from "node:assert/strict";
import { KEPT_ARGUMENT_CHARS, ranCall } from "../../../../core/agent/ran_calls.ts";

const call = (args: string) => ({ id: "c", name: "write_file", arguments: args });

Deno.test("a ran call keeps short arguments as they were and cuts long strings, at any depth", () => {
  const short = call('{"path":"a.txt","content":"hi"}');
  assert.equal(ranCall(short), short);
  const big = "x".repeat(KEPT_ARGUMENT_CHARS + 1);
  const kept = JSON.parse(
    ranCall(call(JSON.stringify({ path: "a.txt", n: 3, parts: [{ body: big }, "ok"] }))).arguments,
  );
  assert.equal(kept.path, "a.txt");
  assert.equal(kept.n, 3);
  assert.equal(kept.parts[1], "ok");
  assert.equal(
    kept.parts[0].body,
    `${
      "x".repeat(200)
    }… [${big.length} characters in all; cut from the history after the call ran]`,
  );
  // Many short strings that add up stay as they are.
  const many = call(JSON.stringify({ lines: Array(500).fill("line") }));
  assert.equal(ranCall(many).arguments, many.arguments);
  // Arguments that are not JSON are kept as one cut string, still valid JSON.
  const broken = JSON.parse(ranCall(call(`{"content": "${big}`)).arguments);
  assert.match(broken.unparsed, /characters in all; cut from the history/);
});
