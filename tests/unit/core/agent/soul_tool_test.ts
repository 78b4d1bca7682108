import assert from "node:assert/strict";
import { soulTool } from "../../../../core/agent/soul_tool.ts";
import type { ApprovalRequest, ToolContext } from "../../../../core/tools/types.ts";

function ctx(answer: boolean, asked: ApprovalRequest[] = []): ToolContext {
  return {
    sessionKey: "cli:default",
    workspace: "/nowhere",
    signal: new AbortController().signal,
    approve: (r) => {
      asked.push(r);
      return Promise.resolve(answer);
    },
  };
}

Deno.test("a soul file changes only after the owner approves, atomically and 0600", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/SOUL.md`, "old");
    const tool = soulTool(dir);
    assert.equal(tool.tier, 2);
    const asked: ApprovalRequest[] = [];
    const denied = await tool.run({ file: "SOUL.md", content: "new" }, ctx(false, asked));
    assert.equal(denied.isError, true);
    assert.match(denied.content, /did not approve/);
    assert.equal(await Deno.readTextFile(`${dir}/SOUL.md`), "old");
    assert.deepEqual(asked[0]!.arguments, { file: "SOUL.md", content: "new" });
    const ok = await tool.run({ file: "SOUL.md", content: "x".repeat(700) }, ctx(true, asked));
    assert.equal(ok.isError, undefined);
    assert.equal((await Deno.readTextFile(`${dir}/SOUL.md`)).length, 700);
    assert.equal((await Deno.stat(`${dir}/SOUL.md`)).mode! & 0o777, 0o600);
    assert.match((asked[1]!.arguments as { content: string }).content, /… \(700 characters\)$/);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name),
      ["SOUL.md"],
      "no temp file left",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the soul tool refuses files that are not soul files", () => {
  const tool = soulTool("/tmp/none");
  assert.throws(
    () => tool.run({ file: "../config.json", content: "x" }, ctx(true)),
    /Invalid option/,
  );
});

Deno.test("a failed soul write is reported, not thrown", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/SOUL.md`); // a folder where the file should be
    await Deno.writeTextFile(`${dir}/SOUL.md/x`, "");
    const r = await soulTool(dir).run({ file: "SOUL.md", content: "new" }, ctx(true));
    assert.equal(r.isError, true);
    assert.match(r.content, /^Cannot write SOUL\.md: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
