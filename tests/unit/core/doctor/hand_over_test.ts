import assert from "node:assert/strict";
import { resolveConfig } from "../../../../core/config/mod.ts";
import { handOverCheck } from "../../../../core/doctor/hand_over.ts";

async function homeWith(files: boolean) {
  const home = await Deno.realPath(await Deno.makeTempDir({ prefix: "kafclaw-doctor-handover-" }));
  await Deno.mkdir(`${home}/workspace`);
  if (files) await Deno.writeTextFile(`${home}/workspace/notes.txt`, "mine\n");
  return {
    home,
    workspace: `${home}/workspace`,
    [Symbol.asyncDispose]: () => Deno.remove(home, { recursive: true }),
  };
}

Deno.test("doctor says nothing of a hand-over when it does not run as root", async () => {
  await using h = await homeWith(true);
  assert.deepEqual(await handOverCheck(resolveConfig({ home: h.home, env: {} }), 1000), []);
});

Deno.test("as root, doctor says what the sandbox will do with the workspace's owners", async () => {
  await using h = await homeWith(true);
  const [asking] = await handOverCheck(resolveConfig({ home: h.home, env: {} }), 0);
  assert.deepEqual(asking, {
    check: "hand-over",
    status: "warn",
    detail: `commands cannot run until ${h.workspace} is handed to the sandbox's uid 65534: ` +
      "kafclaw agent at a terminal asks first; other runs wait for that yes",
    hint: "kafclaw config set tools.sandbox.handOver yes",
  });
  const yes = resolveConfig({ home: h.home, env: { KAFCLAW_TOOLS_SANDBOX_HAND_OVER: "yes" } });
  assert.equal(
    (await handOverCheck(yes, 0))[0]!.detail,
    `as root, the files of ${h.workspace} are given to uid 65534 when the sandbox opens ` +
      "(tools.sandbox.handOver is yes)",
  );
  await Deno.writeTextFile(
    `${h.home}/sandbox-handover.json`,
    JSON.stringify({ [h.workspace]: "yes" }),
  );
  assert.match(
    (await handOverCheck(resolveConfig({ home: h.home, env: {} }), 0))[0]!.detail,
    /when the sandbox opens \(answered yes\)$/,
  );
  await Deno.remove(`${h.home}/sandbox-handover.json`);
  const no = resolveConfig({ home: h.home, env: { KAFCLAW_TOOLS_SANDBOX_HAND_OVER: "no" } });
  assert.match((await handOverCheck(no, 0))[0]!.detail, /: tools\.sandbox\.handOver is no$/);
  await Deno.remove(`${h.workspace}/notes.txt`);
  assert.match(
    (await handOverCheck(resolveConfig({ home: h.home, env: {} }), 0))[0]!.detail,
    /when the sandbox opens \(it is empty\)$/,
  );
  await Deno.remove(h.workspace);
  assert.match(
    (await handOverCheck(resolveConfig({ home: h.home, env: {} }), 0))[0]!.detail,
    /^the workspace is made empty at the first start/,
  );
});
