/**
 * `kafclaw kshark` at a terminal (a pseudo terminal, through scripts/kafclaw): a progress line
 * while checks run and a coloured table after; plain lines with NO_COLOR; the question before a
 * probe writes to a topic of yours, which -y skips. And `--network-diag`, which runs tracepath or
 * traceroute when installed and says so when neither is.
 */
import assert from "node:assert/strict";
import { kafclaw, tempHome } from "../_support/cli.ts";
import { deadPort, rowsOf, validReport } from "../_support/kshark.ts";
import { inPty, plain, ptyEnvironment } from "../_support/pty.ts";

const launcher = new URL("../../scripts/kafclaw", import.meta.url).pathname;

Deno.test("at a terminal kshark shows progress, then a coloured table with hints", async () => {
  await using home = await tempHome();
  const broker = `127.0.0.1:${deadPort()}`;
  const r = await inPty([launcher, "kshark", "--broker", broker], [], ptyEnvironment(home.path));
  assert.equal(r.code, 1, r.output);
  assert.match(r.output, /⠋ 0 done, checking DNS 127\.0\.0\.1…/, "the progress line");
  assert.ok(r.output.includes("\x1b[31mFAIL"), "FAIL in red");
  const text = plain(r.output);
  assert.match(text, /^STATUS {2}LAYER/m);
  assert.match(
    text,
    new RegExp(`^FAIL {4}L4-TCP +TCP +${broker.replace(/\./g, "\\.")} +connection refused`, "m"),
  );
  assert.match(text, /^ {8}↳ check the port in bootstrap\.servers/m);
  assert.match(text, /kafclaw: 1 check\(s\) failed/);
  const noColour = await inPty(
    [launcher, "kshark", "--broker", broker],
    [],
    ptyEnvironment(home.path, { NO_COLOR: "1" }),
  );
  assert.ok(!noColour.output.includes("\x1b["), "no escape at all with NO_COLOR");
  assert.match(
    plain(noColour.output),
    /^FAIL {2}L4-TCP {6}TCP 127\.0\.0\.1:\d+: connection refused/m,
  );
});

Deno.test("at a terminal kshark asks before producing to a topic of yours; -y does not ask", async () => {
  await using home = await tempHome();
  const broker = `127.0.0.1:${deadPort()}`;
  const no = await inPty(
    [launcher, "kshark", "--broker", broker, "-t", "orders"],
    [["produce one probe record to orders; continue\\? \\[y/N\\]", "n\r"]],
    ptyEnvironment(home.path, { NO_COLOR: "1" }),
  );
  assert.equal(no.failed, null, no.output);
  assert.equal(no.code, 2, no.output);
  assert.match(
    plain(no.output),
    /kafclaw: Nothing checked: the probe was declined \(-y skips this question\)/,
  );
  assert.doesNotMatch(plain(no.output), /L4-TCP/, "nothing ran");
  const yes = await inPty(
    [launcher, "kshark", "--broker", broker, "-t", "orders", "-y"],
    [],
    ptyEnvironment(home.path, { NO_COLOR: "1" }),
  );
  assert.equal(yes.code, 1, yes.output);
  assert.doesNotMatch(yes.output, /continue\?/);
  assert.match(plain(yes.output), /L4-TCP/);
});

Deno.test("--network-diag traces the path with tracepath where installed, and says so where not", async () => {
  await using dir = await tempHome();
  const broker = `127.0.0.1:${deadPort()}`;
  const bin = `${dir.path}/bin`;
  await Deno.mkdir(bin);
  // The output tracepath (iputils) prints for a host one hop away, and its arguments kept.
  await Deno.writeTextFile(
    `${bin}/tracepath`,
    `#!/bin/sh\nprintf '%s\\n' "$*" > "${dir.path}/args"\n` +
      `printf ' 1?: [LOCALHOST]                      pmtu 65535\\n 1:  127.0.0.1     0.050ms reached\\n     Resume: pmtu 65535 hops 1 back 1\\n'\n`,
    { mode: 0o755 },
  );
  const path = `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`;
  const traced = await kafclaw(
    ["kshark", "--broker", broker, "--network-diag", "--json", `${dir.path}/r.json`],
    { KAFCLAW_HOME: `${dir.path}/home`, PATH: path },
  );
  assert.equal(traced.code, 1, traced.stderr);
  const [row] = rowsOf(await validReport(`${dir.path}/r.json`), "Path");
  assert.deepEqual(row, {
    component: "Path",
    target: "127.0.0.1",
    layer: "Diag",
    status: "OK",
    detail: "tracepath: 1 hop(s), path MTU 65535",
  });
  assert.equal((await Deno.readTextFile(`${dir.path}/args`)).trim(), "-n -m 20 127.0.0.1");
  const bare = await kafclaw(
    ["kshark", "--broker", broker, "--network-diag", "--json", `${dir.path}/bare.json`],
    { KAFCLAW_HOME: `${dir.path}/home`, PATH: "/usr/bin:/bin" },
  );
  const [skip] = rowsOf(await validReport(`${dir.path}/bare.json`), "Path");
  assert.equal(skip?.status, "SKIP", JSON.stringify(skip) + bare.stderr);
  assert.equal(skip?.detail, "neither tracepath nor traceroute is installed");
});

Deno.test("--network-diag stops a trace that outlasts --timeout and says so", async () => {
  await using dir = await tempHome();
  const bin = `${dir.path}/bin`;
  await Deno.mkdir(bin);
  // One hop printed, then a trace that ignores SIGTERM and leaves a child holding its output.
  await Deno.writeTextFile(
    `${bin}/tracepath`,
    `#!/bin/sh\ntrap '' TERM\nsleep 90 &\nprintf ' 1:  127.0.0.1     0.050ms reached\\n'\nsleep 90\n`,
    { mode: 0o755 },
  );
  const run = await kafclaw(
    [
      "kshark",
      "--broker",
      `127.0.0.1:${deadPort()}`,
      "--network-diag",
      "--timeout",
      "4s",
      "--json",
      `${dir.path}/r.json`,
    ],
    { KAFCLAW_HOME: `${dir.path}/home`, PATH: `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` },
  );
  assert.equal(run.code, 1, run.stderr);
  const [row] = rowsOf(await validReport(`${dir.path}/r.json`), "Path");
  assert.equal(row?.status, "WARN", JSON.stringify(row));
  assert.match(
    String(row?.detail),
    /^tracepath: 1 hop\(s\), path MTU not reported, stopped after \d+ ms$/,
  );
  assert.match(String(row?.hint), /raise --timeout/);
});
