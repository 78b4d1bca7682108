/**
 * The reports `kafclaw kshark` keeps for the dashboard: each run's page and JSON in
 * `$KAFCLAW_HOME/kshark/` (0600, in a 0700 folder), the newest 20 runs kept; nothing written
 * when there is no such home; one warning line when the folder cannot be written.
 */
import assert from "node:assert/strict";
import { keepReport, KEPT_REPORTS } from "../../../cli/_kshark_keep.ts";
import type { CliContext } from "../../../cli/_context.ts";
import type { Report } from "../../../kshark/mod.ts";
import { tempHome } from "../../_support/cli.ts";

function contextOf(home: string) {
  const errors: string[] = [];
  const ctx = {
    env: () => ({ KAFCLAW_HOME: home }),
    io: { out: () => {}, err: (line: string) => errors.push(line) },
  } as unknown as CliContext;
  return { ctx, errors };
}

function reportAt(minute: number): Report {
  const startedAt = new Date(Date.UTC(2026, 11, 5, 9, minute)).toISOString();
  return {
    tool: "kshark",
    version: "test",
    startedAt,
    finishedAt: startedAt,
    rows: [],
    summary: { total: { ok: 1, warn: 0, fail: 0, skip: 0 } },
    config: {},
  };
}

Deno.test("each run's report is kept whole and private, the newest runs only", async () => {
  await using home = await tempHome();
  const { ctx, errors } = contextOf(home.path);
  for (let minute = 0; minute < KEPT_REPORTS + 2; minute++) {
    await keepReport(ctx, reportAt(minute), `<p>run ${minute}</p>`);
  }
  assert.deepEqual(errors, []);
  const dir = `${home.path}/kshark`;
  assert.equal(Deno.statSync(dir).mode! & 0o777, 0o700);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.equal(names.length, KEPT_REPORTS * 2, names.join(" "));
  // The two oldest runs (minutes 0 and 1) went; minute 2 is the oldest left.
  assert.match(names[0]!, /^kshark-2026-12-05T09-02-00Z-[0-9a-f]{4}\.html$/);
  for (const name of names) assert.equal(Deno.statSync(`${dir}/${name}`).mode! & 0o777, 0o600);
  const html = names.filter((n) => n.endsWith(".html")).at(-1)!;
  assert.equal(await Deno.readTextFile(`${dir}/${html}`), `<p>run ${KEPT_REPORTS + 1}</p>`);
  const json = JSON.parse(await Deno.readTextFile(`${dir}/${html.replace(".html", ".json")}`));
  assert.equal(json.startedAt, "2026-12-05T09:21:00.000Z");
});

Deno.test("without a KAFCLAW_HOME nothing is kept, and a folder that cannot be written is one warning", async () => {
  await using home = await tempHome();
  const missing = contextOf(`${home.path}/none`);
  await keepReport(missing.ctx, reportAt(0), "<p>x</p>");
  assert.deepEqual(missing.errors, []);
  assert.equal(await Deno.stat(`${home.path}/none`).catch(() => undefined), undefined);
  // A file where the folder should be.
  await Deno.writeTextFile(`${home.path}/kshark`, "in the way");
  const blocked = contextOf(home.path);
  await keepReport(blocked.ctx, reportAt(0), "<p>x</p>");
  assert.equal(blocked.errors.length, 1);
  assert.match(
    blocked.errors[0]!,
    new RegExp(
      `^kafclaw: WARNING: the report is not kept in ${home.path}/kshark for the dashboard: `,
    ),
  );
  assert.equal(await Deno.readTextFile(`${home.path}/kshark`), "in the way");
});
