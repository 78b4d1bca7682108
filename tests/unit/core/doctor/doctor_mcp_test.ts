/**
 * doctor's lines for the stdio MCP servers of mcp.json (core/doctor/mcp.ts), with a wrapper that
 * stands for bubblewrap not working here; the real sandbox's answers are tested through the
 * launcher (tests/e2e/agent_mcp_test.ts).
 */
import assert from "node:assert/strict";
import { type DoctorDeps, formatDoctor, runDoctor } from "../../../../core/doctor/mod.ts";
import { serveFakeMcpHttp } from "../../../fakes/mcp_server.ts";
import { SandboxError } from "../../../../core/tools/sandbox/mod.ts";
import { tempHome } from "../../../_support/cli.ts";
import { answeringLlm } from "./_llm.ts";

const working = () => Promise.resolve({ available: true, reason: "bubblewrap works", hint: null });
const refused = () =>
  Promise.reject(
    new SandboxError("Cannot start bubblewrap: setting up uid map: Permission denied", {
      code: "unavailable",
    }),
  );

/** doctor's mcp lines for an mcp.json of `text`. */
async function mcpLines(
  text: string | undefined,
  deps: Partial<Pick<DoctorDeps, "offline" | "mcpTimeoutMs">> = {},
) {
  await using home = await tempHome();
  await using llm = await answeringLlm();
  if (text !== undefined) await Deno.writeTextFile(`${home.path}/mcp.json`, text);
  const results = await runDoctor({
    env: { KAFCLAW_HOME: home.path, ...llm.env },
    probe: working,
    mcpWrapper: refused,
    ...deps,
  });
  return results.filter((r) => r.check === "mcp");
}

Deno.test("doctor has no mcp line without servers, nor for a disabled one", async () => {
  assert.deepEqual(await mcpLines(undefined), []);
  const off = { mcpServers: { docs: { url: "http://127.0.0.1:9/mcp", enabled: false } } };
  assert.deepEqual(await mcpLines(JSON.stringify(off)), []);
});

Deno.test("doctor asks each HTTP MCP server to initialize: one that answers is ok, others fail with the fix", async () => {
  await using mcp = serveFakeMcpHttp();
  // A port that accepts connections and never answers.
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = closed.addr.port;
  closed.close();
  try {
    const servers = {
      docs: { url: `${mcp.url}?token=secret`, headers: { authorization: "Bearer hidden" } },
      down: { url: `http://127.0.0.1:${closedPort}/mcp` },
      hung: { url: `http://127.0.0.1:${silent.addr.port}/mcp` },
    };
    const started = Date.now();
    const [docs, down, hung, ...rest] = await mcpLines(JSON.stringify({ mcpServers: servers }), {
      mcpTimeoutMs: 1000,
    });
    assert.deepEqual(rest, []);
    assert.deepEqual(docs, {
      check: "mcp",
      status: "ok",
      detail: `docs: answers at ${mcp.url} (fake 1.0.0)`,
    });
    assert.ok(mcp.methods.includes("initialize"));
    assert.equal(
      down?.detail,
      `down: http://127.0.0.1:${closedPort}/mcp does not answer as an MCP server: ` +
        "connection refused",
    );
    assert.equal(
      down!.hint,
      'check that the server runs and its url and headers in mcp.json, or set "enabled": false ' +
        "for down there",
    );
    assert.equal(
      hung?.detail,
      `hung: http://127.0.0.1:${silent.addr.port}/mcp does not answer as an MCP server: ` +
        "no answer to initialize within 1 s",
    );
    assert.ok(Date.now() - started < 8000, "each server is given at most the bounded time");
    assert.doesNotMatch(JSON.stringify([docs, down, hung]), /secret|hidden/);
  } finally {
    silent.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
  }
});

Deno.test("doctor --offline contacts no MCP server, no model and no broker, and says so", async () => {
  await using mcp = serveFakeMcpHttp();
  await using home = await tempHome();
  await using llm = await answeringLlm();
  const servers = { docs: { url: mcp.url } };
  await Deno.writeTextFile(`${home.path}/mcp.json`, JSON.stringify({ mcpServers: servers }));
  const results = await runDoctor({
    env: {
      KAFCLAW_HOME: home.path,
      ...llm.env,
      KAFCLAW_MEMORY_EMBEDDING_ENABLED: "true",
      KAFCLAW_GROUP_ENABLED: "true",
      KAFCLAW_GROUP_KAFKA_BROKERS: "127.0.0.1:9",
    },
    probe: working,
    mcpWrapper: refused,
    offline: true,
  });
  const skipped = results.filter((r) => r.status === "skip").map((r) => [r.check, r.detail]);
  assert.deepEqual(skipped, [
    ["model", "the models are not contacted (--offline)"],
    ["memory", "the embedding model is not contacted (--offline)"],
    ["group", "the brokers 127.0.0.1:9 are not contacted (--offline)"],
    ["mcp", `docs: ${mcp.url} not contacted (--offline)`],
  ]);
  assert.deepEqual(mcp.methods, []);
  assert.deepEqual(llm.requests, []);
  assert.match(
    formatDoctor(results),
    /\n[^\n]*; 4 not made \(--offline: nothing on the network is contacted\)$/,
  );
});

Deno.test("doctor says a sandboxed server cannot start where bubblewrap does not work, and what to do", async () => {
  const host = await Deno.makeTempFile({ prefix: "kafclaw-mcp-cmd-" });
  try {
    await Deno.chmod(host, 0o755);
    const servers = {
      py: { command: "python3" },
      off: { command: "python3", enabled: false },
      host: { command: host, unsandboxed: true },
      bare: { command: "uvx", unsandboxed: true },
      gone: { command: `${host}.missing`, unsandboxed: true },
    };
    assert.deepEqual(await mcpLines(JSON.stringify({ mcpServers: servers })), [
      {
        check: "mcp",
        status: "fail",
        detail: "py: cannot start: it runs only in the sandbox, and Cannot start bubblewrap: " +
          "setting up uid map: Permission denied",
        hint: 'make bubblewrap work (see sandbox), or set "unsandboxed": true for py in ' +
          "mcp.json to run it on the host, unconfined",
      },
      {
        check: "mcp",
        status: "ok",
        detail: `host: unsandboxed: runs on the host with your access (${host})`,
      },
      {
        check: "mcp",
        status: "ok",
        detail: "bare: unsandboxed: runs on the host with your access (uvx is looked up on PATH)",
      },
      {
        check: "mcp",
        status: "fail",
        detail: `gone: cannot start: ${host}.missing is not found`,
        hint: 'fix the command or the grants of gone in mcp.json, or set "enabled": false for it',
      },
    ]);
    await Deno.chmod(host, 0o644);
    const [line] = await mcpLines(JSON.stringify({ mcpServers: { host: servers.host } }));
    assert.equal(line?.detail, `host: cannot start: ${host} is not executable`);
  } finally {
    await Deno.remove(host);
  }
});

Deno.test("doctor fails an mcp.json that does not load, naming the file", async () => {
  const [line, ...rest] = await mcpLines('{"mcpServers": {"py": {"command": 7}}}');
  assert.deepEqual(rest, []);
  assert.equal(line?.status, "fail");
  assert.match(line!.detail, /^Cannot use .*\/mcp\.json: Invalid MCP server settings at "py\./);
});
