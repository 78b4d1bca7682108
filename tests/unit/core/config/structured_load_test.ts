/**
 * The structured keys' schemas (and zod with them) are loaded only when a structured key is set.
 * The tests run in order in one module: the schemas are not loaded until the last.
 */
import assert from "node:assert/strict";
import { KEYS, prepareStructured, resolveConfig } from "../../../../core/config/mod.ts";
import { setsStructured } from "../../../../core/config/resolve.ts";
import { structuredSchemas } from "../../../../core/config/_structured_load.ts";

const home = "/nonexistent-kafclaw-home";
const file = (value: Record<string, unknown>) => ({
  path: `${home}/config.json`,
  value,
  lines: new Map(),
});
const jobs = [{ name: "daily", schedule: "@daily", message: "hi" }];

Deno.test("a structured key is set by its variable or the file, as values are taken", () => {
  assert.equal(setsStructured({ home, env: { KAFCLAW_AGENTS_LIST: "[]" } }), true);
  assert.equal(setsStructured({ home, env: { KAFCLAW_SCHEDULER_JOBS: "  " } }), false);
  assert.equal(setsStructured({ home, env: {}, file: file({ scheduler: { jobs } }) }), true);
  assert.equal(setsStructured({ home, env: {}, file: file({ scheduler: { jobs: null } }) }), false);
  assert.equal(setsStructured({ home, env: { KAFCLAW_GATEWAY_PORT: "1" } }), false);
});

Deno.test("nothing structured set: resolving loads nothing and checks the simple keys by hand", async () => {
  const options = { home, env: { KAFCLAW_GATEWAY_PORT: "18800", KAFCLAW_GROUP_ENABLED: "yes" } };
  await prepareStructured(options);
  assert.equal(structuredSchemas(), undefined);
  const config = resolveConfig(options);
  assert.equal(config.gateway.port, 18800);
  assert.equal(config.group.enabled, true);
  assert.equal(structuredSchemas(), undefined);
});

Deno.test("a structured key set without its schemas loaded is a mistake of the caller, named", () => {
  assert.throws(
    () => resolveConfig({ home, env: {}, file: file({ scheduler: { jobs } }) }),
    /^Error: Config: scheduler\.jobs is set, but its schema is not loaded: call prepareStructured first$/,
  );
  assert.throws(() => KEYS.byKey.get("scheduler.jobs")!.parse(jobs), /schemas are not loaded/);
});

Deno.test("prepared, a structured key from the file is checked by its schema", async () => {
  const options = { home, env: {}, file: file({ scheduler: { jobs } }) };
  await prepareStructured(options);
  assert.notEqual(structuredSchemas(), undefined);
  assert.deepEqual(resolveConfig(options).scheduler.jobs, jobs);
});
