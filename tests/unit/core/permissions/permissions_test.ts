import assert from "node:assert/strict";
import {
  COMPILE_SET,
  denoFlags,
  denoJsonPermissions,
  MCP_ACCESS,
  narrowSet,
  PERMISSION_SETS,
  permissionSetFor,
  SANDBOX_PROBE_READS,
  type Subcommand,
  SUBCOMMANDS,
  TEST_SET,
  unionOf,
} from "../../../../core/permissions/mod.ts";
import { VERSION } from "../../../../core/version.ts";

const denoJson = JSON.parse(
  await Deno.readTextFile(new URL("../../../../deno.json", import.meta.url)),
);

Deno.test("deno.json's permission sets are exactly the ones core/permissions defines", () => {
  assert.deepEqual(denoJson.permissions, { ...denoJsonPermissions(), test: TEST_SET });
});

Deno.test("deno.json's version is the version the CLI prints", () => {
  assert.equal(denoJson.version, VERSION);
});

Deno.test("every subcommand has a permission set and the compile set covers them all", () => {
  for (const name of SUBCOMMANDS) assert.ok(PERMISSION_SETS[name], name);
  assert.equal(COMPILE_SET.read, true);
  assert.equal(COMPILE_SET.net, true);
  assert.deepEqual(
    COMPILE_SET.run,
    ["bwrap", "git", "kafclaw", "open", "prlimit", "setpriv", "traceroute", "tracepath", "xdg-open"]
      .sort(),
  );
});

Deno.test("version, help and completion get no file, network or process access", () => {
  for (const name of ["version", "help", "completion"] as const) {
    const set = PERMISSION_SETS[name];
    assert.equal(set.read, undefined);
    assert.equal(set.write, undefined);
    assert.equal(set.net, undefined);
    assert.equal(set.run, undefined);
  }
});

Deno.test("the launcher picks the set of the first non-option word", () => {
  assert.equal(permissionSetFor(["--debug", "config", "get", "x"]), "config");
  assert.equal(permissionSetFor(["agent", "-m", "hi"]), "agent");
  assert.equal(permissionSetFor(["--help"]), "help");
  assert.equal(permissionSetFor(["frobnicate"]), "help");
  assert.equal(permissionSetFor([]), "help");
});

Deno.test("narrowSet limits file access to KAFCLAW_HOME and keeps lists as they are", () => {
  const narrowed = narrowSet(PERMISSION_SETS.config, { home: "/h/.kafclaw" });
  assert.deepEqual(narrowed.read, ["/h/.kafclaw"]);
  assert.deepEqual(narrowed.write, ["/h/.kafclaw"]);
  const extra = narrowSet(PERMISSION_SETS.kshark, {
    home: "/h",
    extraRead: ["/p/client.properties"],
  });
  assert.deepEqual(extra.read, ["/h", "/p/client.properties"]);
  const ws = narrowSet(PERMISSION_SETS.agent, {
    home: "/h",
    extraRead: ["/w"],
    extraWrite: ["/w"],
  });
  // A set that starts the sandbox may also read what tells whether bubblewrap still works.
  assert.deepEqual([ws.read, ws.write], [["/h", "/w", ...SANDBOX_PROBE_READS], ["/h", "/w"]]);
  assert.deepEqual(narrowSet(PERMISSION_SETS.version, { home: "/h" }), PERMISSION_SETS.version);
  // A set that starts the sandbox may start Deno again (the fallback's file helper); others not.
  const deno = "/opt/deno/bin/deno";
  assert.deepEqual(narrowSet(PERMISSION_SETS.agent, { home: "/h", deno }).run, [
    "bwrap",
    "setpriv",
    "prlimit",
    deno,
  ]);
  assert.deepEqual(
    narrowSet(PERMISSION_SETS.kshark, { home: "/h", deno }).run,
    PERMISSION_SETS.kshark.run,
  );
  assert.equal(narrowSet(PERMISSION_SETS.config, { home: "/h", deno }).run, undefined);
});

Deno.test("narrowSet adds extra commands to a set that runs commands, and to no other", () => {
  const run = narrowSet(PERMISSION_SETS.agent, { home: "/h", extraRun: ["uvx", "prlimit"] }).run;
  assert.deepEqual(run, ["bwrap", "setpriv", "prlimit", "uvx"]);
  assert.equal(narrowSet(PERMISSION_SETS.config, { home: "/h", extraRun: ["uvx"] }).run, undefined);
  // Only subcommands that start agents run MCP servers; doctor only looks at them.
  assert.deepEqual(MCP_ACCESS, { agent: "run", gateway: "run", cron: "run", doctor: "check" });
  for (const [subcommand, access] of Object.entries(MCP_ACCESS)) {
    const run = PERMISSION_SETS[subcommand as Subcommand].run;
    assert.ok(Array.isArray(run) && run.includes("bwrap"), subcommand);
    assert.equal(access === "run", run.includes("prlimit"), subcommand);
  }
});

Deno.test("narrowSet gives a set with the whole network the listed hosts alone, once each", () => {
  const net = ["0.0.0.0:0", "k:9092", "0.0.0.0:0"];
  const gateway = narrowSet(PERMISSION_SETS.gateway, { home: "/h", net });
  assert.deepEqual(gateway.net, ["0.0.0.0:0", "k:9092"]);
  assert.equal(narrowSet(PERMISSION_SETS.gateway, { home: "/h", net: [] }).net, false);
  assert.equal(narrowSet(PERMISSION_SETS.config, { home: "/h", net }).net, undefined);
  assert.equal(narrowSet(PERMISSION_SETS.gateway, { home: "/h" }).net, true);
  // The compile set, which a binary keeps whole, grants all a narrowed gateway may do and more.
  for (const key of ["read", "write", "net", "env", "ffi"] as const) {
    assert.equal(COMPILE_SET[key], true, key);
  }
  for (const command of PERMISSION_SETS.gateway.run as string[]) {
    assert.ok((COMPILE_SET.run as string[]).includes(command), command);
  }
});

Deno.test("denoFlags renders whole and listed grants and leaves out denied ones", () => {
  assert.deepEqual(denoFlags({ read: true, run: ["bwrap", "git"], net: false }), [
    "--allow-read",
    "--allow-run=bwrap,git",
  ]);
});

Deno.test("unionOf merges lists, lets true win and treats false as absent", () => {
  assert.deepEqual(unionOf([{ run: ["b"] }, { run: ["a", "b"] }, { net: false }, { net: ["h"] }]), {
    net: ["h"],
    run: ["a", "b"],
  });
  assert.deepEqual(unionOf([{ read: ["x"] }, { read: true }]), { read: true });
  assert.deepEqual(unionOf([{ read: false }, { read: false }]), { read: false });
  assert.deepEqual(unionOf([{ read: ["x"] }, { read: false }]), { read: ["x"] });
});
