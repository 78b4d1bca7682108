/**
 * doctor --fix narrows the modes of what holds conversations and keys, makes a missing
 * KAFCLAW_HOME, says each thing it did, and touches nothing else.
 */
import assert from "node:assert/strict";
import { fixDoctor, formatFixes } from "../../../../core/doctor/mod.ts";
import { tempHome } from "../../../_support/cli.ts";

const modeOf = async (path: string) => (await Deno.lstat(path)).mode! & 0o777;

async function write(path: string, mode: number, text = "x") {
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, mode);
}

Deno.test("doctor --fix makes private files and folders 0600 and 0700 and nothing else", async () => {
  await using home = await tempHome();
  await using outside = await tempHome();
  const h = home.path;
  await Deno.chmod(h, 0o755);
  await write(`${h}/config.json`, 0o644, "{}");
  await write(`${h}/timeline.db`, 0o644);
  await write(`${h}/timeline.db-wal`, 0o640);
  await Deno.mkdir(`${h}/sessions`, { mode: 0o755 });
  await Deno.chmod(`${h}/sessions`, 0o755);
  await write(`${h}/sessions/cli.jsonl`, 0o644);
  await Deno.mkdir(`${h}/identity`, { mode: 0o700 });
  await write(`${h}/identity/agent.key`, 0o604);
  // Not doctor's to change: the workspace, the soul, a link out of sessions/.
  await Deno.mkdir(`${h}/workspace`);
  await write(`${h}/workspace/notes.md`, 0o644);
  await Deno.mkdir(`${h}/soul`);
  await write(`${h}/soul/SOUL.md`, 0o644);
  await write(`${outside.path}/elsewhere.txt`, 0o644);
  await Deno.symlink(`${outside.path}/elsewhere.txt`, `${h}/sessions/link.jsonl`);

  const fixed = await fixDoctor({ env: { KAFCLAW_HOME: h } });
  assert.deepEqual(fixed.map((f) => [f.path.slice(h.length), f.did]), [
    ["", "chmod 700 (was 755)"],
    ["/config.json", "chmod 600 (was 644)"],
    ["/timeline.db", "chmod 600 (was 644)"],
    ["/timeline.db-wal", "chmod 600 (was 640)"],
    ["/sessions", "chmod 700 (was 755)"],
    ["/sessions/cli.jsonl", "chmod 600 (was 644)"],
    ["/identity/agent.key", "chmod 600 (was 604)"],
  ]);
  assert.match(formatFixes(fixed), new RegExp(`^fixed  ${h}: chmod 700 \\(was 755\\)\\n`));
  assert.equal(await modeOf(`${h}/sessions/cli.jsonl`), 0o600);
  assert.equal(await modeOf(`${h}/workspace/notes.md`), 0o644);
  assert.equal(await modeOf(`${h}/soul/SOUL.md`), 0o644);
  assert.equal(await modeOf(`${outside.path}/elsewhere.txt`), 0o644, "a link is not followed");

  assert.deepEqual(await fixDoctor({ env: { KAFCLAW_HOME: h } }), [], "nothing left to fix");
  assert.equal(formatFixes([]), "fixed nothing: no safe fix was needed");
});

Deno.test("doctor --fix makes a missing KAFCLAW_HOME, private", async () => {
  await using dir = await tempHome();
  const home = `${dir.path}/new/home`;
  const fixed = await fixDoctor({ env: { KAFCLAW_HOME: home } });
  assert.deepEqual(fixed, [{ path: home, did: "created (mode 700)", ok: true }]);
  assert.equal(await modeOf(home), 0o700);
});
