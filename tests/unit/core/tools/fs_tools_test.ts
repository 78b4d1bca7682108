import assert from "node:assert/strict";
import { fsTools } from "../../../../core/tools/fs_tools.ts";
import { ToolRegistry } from "../../../../core/tools/registry.ts";
import { testContext } from "./_context.ts";
import { FakeSandbox } from "./_fake_sandbox.ts";

function setup(files: Record<string, string> = {}, maxReadBytes?: number) {
  const sandbox = new FakeSandbox({ files });
  const options = maxReadBytes === undefined ? {} : { maxReadBytes };
  const registry = new ToolRegistry().register(...fsTools(sandbox.fs, options));
  const call = (name: string, args: unknown) =>
    registry.run(name, JSON.stringify(args), testContext());
  return { sandbox, registry, call };
}

Deno.test("file tools have the tiers of the policy: reads 0, writes 1", () => {
  const { registry } = setup();
  assert.deepEqual(registry.names().map((n) => [n, registry.tierOf(n)]), [
    ["read_file", 0],
    ["write_file", 1],
    ["edit_file", 1],
    ["list_dir", 0],
  ]);
});

Deno.test("read_file returns a file's text", async () => {
  const { call } = setup({ "notes/a.txt": "hello\nworld\n" });
  assert.deepEqual(await call("read_file", { path: "notes/a.txt" }), { content: "hello\nworld\n" });
});

Deno.test("read_file reads a range of lines with offset and limit", async () => {
  const { call } = setup({ "a.txt": "1\n2\n3\n4\n5" });
  assert.equal(
    (await call("read_file", { path: "a.txt", offset: 2, limit: 2 })).content,
    "[lines 2-3 of 5]\n2\n3",
  );
  assert.equal(
    (await call("read_file", { path: "a.txt", offset: 4 })).content,
    "[lines 4-5 of 5]\n4\n5",
  );
  assert.equal(
    (await call("read_file", { path: "a.txt", limit: 1 })).content,
    "[lines 1-1 of 5]\n1",
  );
  const past = await call("read_file", { path: "a.txt", offset: 9 });
  assert.deepEqual(past, { content: "a.txt has 5 lines; offset 9 is past its end", isError: true });
});

Deno.test("read_file of a missing file or a path outside the workspace is an error result", async () => {
  const { call } = setup();
  assert.deepEqual(await call("read_file", { path: "nope.txt" }), {
    content: "read_file failed: No such file: nope.txt",
    isError: true,
  });
  const outside = await call("read_file", { path: "../../etc/passwd" });
  assert.equal(outside.isError, true);
  assert.match(outside.content, /^read_file was refused by the sandbox: .*outside the workspace/);
});

Deno.test("read_file passes its size limit to the sandbox", async () => {
  const { call } = setup({ "big.txt": "x".repeat(2000) }, 1024);
  const result = await call("read_file", { path: "big.txt" });
  assert.match(result.content, /larger than 1024 bytes/);
});

Deno.test("write_file writes through the sandbox and says how much", async () => {
  const { sandbox, call } = setup();
  assert.deepEqual(await call("write_file", { path: "out/ü.txt", content: "grüß" }), {
    content: "Wrote 6 bytes to out/ü.txt",
  });
  assert.equal(sandbox.fs.files.get("out/ü.txt"), "grüß");
});

Deno.test("write_file requires content", async () => {
  const { sandbox, call } = setup();
  const result = await call("write_file", { path: "a.txt" });
  assert.match(result.content, /^Invalid arguments for write_file: "content"/);
  assert.equal(sandbox.fs.writes, 0);
});

Deno.test("edit_file replaces exactly one match", async () => {
  const { sandbox, call } = setup({ "a.ts": "const a = 1;\nconst b = 2;\n" });
  const result = await call("edit_file", { path: "a.ts", old_text: "b = 2", new_text: "b = $& 3" });
  assert.deepEqual(result, { content: "Edited a.ts: replaced 1 occurrence at line 2" });
  // The replacement is literal: `$&` is not a pattern.
  assert.equal(sandbox.fs.files.get("a.ts"), "const a = 1;\nconst b = $& 3;\n");
});

Deno.test("edit_file refuses when old_text is not found, and writes nothing", async () => {
  const { sandbox, call } = setup({ "a.ts": "const a = 1;\n" });
  const result = await call("edit_file", { path: "a.ts", old_text: "const c", new_text: "x" });
  assert.equal(result.isError, true);
  assert.match(result.content, /^old_text "const c" was not found in a\.ts; nothing was changed/);
  assert.equal(sandbox.fs.writes, 0);
});

Deno.test("edit_file refuses when old_text occurs more than once, and writes nothing", async () => {
  const { sandbox, call } = setup({ "a.txt": "x = 1\nx = 1\nx = 1\n" });
  const result = await call("edit_file", { path: "a.txt", old_text: "x = 1", new_text: "y" });
  assert.equal(result.isError, true);
  assert.match(result.content, /occurs 3 times in a\.txt; nothing was changed/);
  assert.equal(sandbox.fs.writes, 0);
});

Deno.test("edit_file counts overlapping matches as ambiguous", async () => {
  const { call } = setup({ "a.txt": "aaa" });
  const result = await call("edit_file", { path: "a.txt", old_text: "aa", new_text: "b" });
  assert.match(result.content, /occurs 2 times/);
});

Deno.test("edit_file refuses an empty old_text", async () => {
  const { call } = setup({ "a.txt": "abc" });
  const result = await call("edit_file", { path: "a.txt", old_text: "", new_text: "b" });
  assert.match(result.content, /^Invalid arguments for edit_file: "old_text": Too small/);
});

Deno.test("list_dir lists folders first, then files with their sizes", async () => {
  const { call } = setup({ "b.txt": "12345", "a.md": "", "src/main.ts": "x", "docs/x/y": "" });
  assert.equal(
    (await call("list_dir", { path: "." })).content,
    "[DIR] docs/\n[DIR] src/\n[FILE] a.md (0 bytes)\n[FILE] b.txt (5 bytes)",
  );
  assert.equal((await call("list_dir", {})).content.split("\n").length, 4);
  assert.equal((await call("list_dir", { path: "src" })).content, "[FILE] main.ts (1 bytes)");
});

Deno.test("list_dir says when a folder is empty", async () => {
  const { call } = setup();
  assert.deepEqual(await call("list_dir", { path: "/" }), { content: "/ is empty" });
});
