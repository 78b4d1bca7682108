import assert from "node:assert/strict";
import { type CheckResult, formatDoctor, runDoctor } from "../../../../core/doctor/mod.ts";
import { SessionStore } from "../../../../core/agent/sessions.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import { kafclaw, tempHome } from "../../../_support/cli.ts";
import { smallDisk, TMPFS } from "../../../_support/full_disk.ts";
import { answeringLlm } from "./_llm.ts";

const working = () => Promise.resolve({ available: true, reason: "bubblewrap works", hint: null });
const byCheck = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.check, r]));

Deno.test({
  name: "kafclaw doctor on a full disk reports it instead of crashing",
  ignore: !TMPFS,
  async fn() {
    await using disk = (await smallDisk(2048))!;
    await using llm = await answeringLlm();
    const home = `${disk.path}/home`;
    Timeline.open(`${home}/timeline.db`).close();
    await disk.fill(0);
    const r = await kafclaw(["doctor", "--json"], { KAFCLAW_HOME: home, ...llm.env });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, "kafclaw: 2 check(s) failed\n");
    const by = byCheck(JSON.parse(r.stdout));
    assert.equal(by.disk!.status, "fail");
    assert.match(by.disk!.detail, /^0 bytes free on the disk of .*\/home: agent and cron do not/);
    assert.equal(by.sandbox!.status, "fail");
    assert.match(by.sandbox!.detail, /^cannot check: The disk holding .*\/home is full/);
    assert.equal(by.database!.status, "ok", "read-only, the check needs no room");
    assert.equal(by.sessions!.status, "ok");
  },
});

Deno.test("doctor fails a damaged database, naming it and what to do", async () => {
  await using home = await tempHome();
  const path = `${home.path}/timeline.db`;
  Timeline.open(path).close();
  const size = (await Deno.stat(path)).size;
  using file = await Deno.open(path, { write: true });
  // Every page after the first (the schema) is overwritten: the tables' pages are garbage.
  await file.seek(4096, Deno.SeekMode.Start);
  await file.write(new Uint8Array(size - 4096).fill(0x5a));
  const by = byCheck(await runDoctor({ env: { KAFCLAW_HOME: home.path }, probe: working }));
  assert.equal(by.database!.status, "fail");
  assert.match(by.database!.detail, new RegExp(`^${path} is damaged: `));
  assert.match(by.database!.hint!, /restore .*timeline\.db from a backup, or move it aside/);
});

Deno.test("doctor warns about session files with unreadable lines and names them", async () => {
  await using home = await tempHome();
  const sessions = new SessionStore(`${home.path}/sessions`);
  await sessions.append("good", [{ role: "user", content: "fine" }]);
  await sessions.append("torn", [{ role: "user", content: "fine" }]);
  await Deno.writeTextFile(await sessions.path("torn"), '{"role":"assistant","cont', {
    append: true,
  });
  const results = await runDoctor({ env: { KAFCLAW_HOME: home.path }, probe: working });
  const by = byCheck(results);
  assert.equal(by.sessions!.status, "warn");
  assert.match(by.sessions!.detail, /are skipped: torn\.jsonl line 3$/);
  assert.match(formatDoctor(results), /^warn +sessions /m);
});
