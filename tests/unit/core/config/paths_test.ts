import assert from "node:assert/strict";
import {
  agentWorkspacesOf,
  ConfigError,
  configFile,
  DEFAULT_WORKSPACE,
  KEYS,
  ksharkReportsDir,
  paths,
  resolveConfig,
  resolveHome,
  resolvePath,
  WORKSPACE_ENV,
  workspaceOf,
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

Deno.test("workspaceOf finds the workspace the full configuration resolves, without the schema", () => {
  const spec = KEYS.keys.find((k) => k.key === "paths.workspace")!;
  assert.deepEqual(spec.envNames.map((e) => e.name), [...WORKSPACE_ENV]);
  assert.equal(spec.default, DEFAULT_WORKSPACE);
  const env = { HOME: "/home/ada" };
  const cases: { env?: Record<string, string>; file?: unknown }[] = [
    {},
    { file: {} },
    { file: { paths: null } },
    { file: { paths: "" } },
    { file: { paths: {} } },
    { file: { paths: { workspace: null } } },
    { file: { paths: { workspace: "" } } },
    { file: { paths: { workspace: "  " } } },
    { file: { paths: { workspace: 42 } } },
    { file: { paths: [] } },
    { file: { paths: 7 } },
    { file: { paths: { workspace: "ws" } } },
    { file: { paths: { workspace: " /srv/ws/ " } } },
    { file: { paths: { workspace: "~/ws" } } },
    { file: { paths: { workspace: "../outside" } } },
    { env: { KAFCLAW_PATHS_WORKSPACE: "/env/ws" }, file: { paths: { workspace: "/file/ws" } } },
    { env: { KAFCLAW_PATHS_WORKSPACE: " " }, file: { paths: { workspace: "/file/ws" } } },
    { env: { MIKROBOT_PATHS_WORKSPACE: "/legacy" } },
    { env: { KAFCLAW_PATHS_WORKSPACE: "~", MIKROBOT_PATHS_WORKSPACE: "/legacy" } },
    { env: { KAFCLAW_PATHS_WORKSPACE: "/env/ws" }, file: { paths: { workspace: 42 } } },
  ];
  for (const { env: extra, file } of cases) {
    const all = { ...env, ...extra };
    const what = JSON.stringify({ extra, file });
    let expected: string | undefined;
    try {
      const layer = file === undefined
        ? undefined
        : { path: "/k/config.json", value: file as Record<string, unknown>, lines: new Map() };
      expected = paths(resolveConfig({ home: "/k", env: all, file: layer })).workspace;
    } catch (error) {
      assert.ok(error instanceof ConfigError, what);
      assert.match(error.message, /\bpaths\b/, what);
    }
    assert.equal(workspaceOf("/k", all, file), expected, what);
  }
});

Deno.test("agents.list's workspaces: the variable's list over the file's; what is not a list names none", () => {
  const file = { agents: { list: [{ id: "a" }, { id: "b", workspace: "/srv/b" }] } };
  assert.deepEqual(agentWorkspacesOf("/h", {}, file), ["/srv/b"]);
  const env = { KAFCLAW_AGENTS_LIST: JSON.stringify([{ id: "c", workspace: "c-ws" }]) };
  assert.deepEqual(agentWorkspacesOf("/h", env, file), ["/h/c-ws"]);
  // A variable that is not JSON, or JSON that is not a list, grants nothing (the gateway then
  // refuses the config, saying what is wrong).
  assert.deepEqual(agentWorkspacesOf("/h", { KAFCLAW_AGENTS_LIST: "[{" }, file), []);
  assert.deepEqual(agentWorkspacesOf("/h", { KAFCLAW_AGENTS_LIST: '{"id":"x"}' }, file), []);
  assert.deepEqual(agentWorkspacesOf("/h", {}, { agents: { list: 7 } }), []);
});

Deno.test("kshark keeps its reports in the home's kshark folder", () => {
  assert.equal(ksharkReportsDir("/h/.kafclaw"), "/h/.kafclaw/kshark");
});
