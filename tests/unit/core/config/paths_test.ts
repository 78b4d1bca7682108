import assert from "node:assert/strict";
import {
  ConfigError,
  configFile,
  paths,
  resolveConfig,
  resolveHome,
  resolvePath,
} from "../../../../core/config/mod.ts";

Deno.test("KAFCLAW_HOME defaults to ~/.kafclaw and follows $KAFCLAW_HOME", () => {
  assert.equal(resolveHome({ HOME: "/home/ada" }), "/home/ada/.kafclaw");
  assert.equal(resolveHome({ HOME: "/home/ada", KAFCLAW_HOME: "/srv/kafclaw/" }), "/srv/kafclaw");
  assert.equal(
    resolveHome({ HOME: "/home/ada", KAFCLAW_HOME: "~/agents/a1" }),
    "/home/ada/agents/a1",
  );
  assert.equal(resolveHome({ HOME: "/home/ada", KAFCLAW_HOME: " " }), "/home/ada/.kafclaw");
});

Deno.test("a relative KAFCLAW_HOME or no home at all is a clear error", () => {
  assert.throws(
    () => resolveHome({ KAFCLAW_HOME: "rel/dir" }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message === 'KAFCLAW_HOME must be an absolute path, got "rel/dir"',
  );
  assert.throws(() => resolveHome({}), /Cannot find the home directory: set KAFCLAW_HOME or HOME/);
  assert.throws(() => resolveHome({ KAFCLAW_HOME: "~/x" }), /must be an absolute path/);
});

Deno.test("paths() puts everything under KAFCLAW_HOME, the workspace where configured", () => {
  const config = resolveConfig({ home: "/k", env: {} });
  assert.deepEqual(paths(config), {
    home: "/k",
    config: "/k/config.json",
    timeline: "/k/timeline.db",
    sessions: "/k/sessions",
    identity: "/k/identity",
    soul: "/k/soul",
    workspace: "/k/workspace",
  });
  const moved = resolveConfig({ home: "/k", env: { KAFCLAW_PATHS_WORKSPACE: "/data/ws" } });
  assert.equal(paths(moved).workspace, "/data/ws");
  assert.equal(configFile("/k"), "/k/config.json");
});

Deno.test("resolvePath: ~ alone is HOME, relative is under KAFCLAW_HOME", () => {
  assert.equal(resolvePath("~", "/k", { HOME: "/home/ada" }), "/home/ada");
  assert.equal(resolvePath("~/x", "/k", {}), "/k/~/x");
  assert.equal(resolvePath("a/../b", "/k", {}), "/k/b");
});
