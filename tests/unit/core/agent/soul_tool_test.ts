import assert from "node:assert/strict";
import { soulTool } from "../../../../core/agent/soul_tool.ts";
import type { ToolContext } from "../../../../core/tools/mod.ts";

function ctx(): ToolContext {
  return { sessionKey: "cli:default", workspace: "/nowhere", signal: new AbortController().signal };
}

Deno.test("the soul tool says every call needs the owner's approval, so the policy asks", () => {
  const tool = soulTool("/tmp/none");
  assert.equal(tool.tier, 2);
  assert.equal(tool.approval, "soul files change only with the owner's approval");
});

Deno.test("an approved soul file is written atomically and 0600", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/SOUL.md`, "old");
    const ok = await soulTool(dir).run({ file: "SOUL.md", content: "x".repeat(700) }, ctx());
    assert.equal(ok.isError, undefined);
    assert.equal((await Deno.readTextFile(`${dir}/SOUL.md`)).length, 700);
    assert.equal((await Deno.stat(`${dir}/SOUL.md`)).mode! & 0o777, 0o600);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name),
      ["SOUL.md"],
      "no temp file left",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the soul tool refuses files that are not soul files", async () => {
  const tool = soulTool("/tmp/none");
  await assert.rejects(
    () => tool.run({ file: "../config.json", content: "x" }, ctx()),
    /Invalid option/,
  );
});

Deno.test("a failed soul write is reported, not thrown", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/SOUL.md`); // a folder where the file should be
    await Deno.writeTextFile(`${dir}/SOUL.md/x`, "");
    const r = await soulTool(dir).run({ file: "SOUL.md", content: "new" }, ctx());
    assert.equal(r.isError, true);
    assert.match(r.content, /^Cannot write SOUL\.md: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
