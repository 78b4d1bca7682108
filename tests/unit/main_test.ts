import assert from "node:assert/strict";
import { Cancelled, CliError, Terminated, UsageError } from "../../cli/mod.ts";
import { UnknownAgentError } from "../../core/agent/profile.ts";
import { ConfigError, ConfigKeyError, UntrustedConfigError } from "../../core/config/mod.ts";
import { CronSyntaxError } from "../../core/cron/mod.ts";
import { OnboardError } from "../../core/agent/onboard.ts";
import { MemoryError } from "../../core/memory/mod.ts";
import { SUBCOMMANDS } from "../../core/permissions/mod.ts";
import { ProviderError, ProviderNotConfiguredError } from "../../core/provider/mod.ts";
import {
  DiskFullError,
  TimelineDamagedError,
  TimelineVersionError,
} from "../../core/timeline/mod.ts";
import { FS_HELPER_ARG, SandboxError } from "../../core/tools/sandbox/mod.ts";
import { TopicMissingError } from "../../core/transport/mod.ts";
import { EXIT_CODES, reportError } from "../../main.ts";

function report(error: unknown, debug = false) {
  const lines: string[] = [];
  const code = reportError(error, debug, (s) => lines.push(s));
  return { code, text: lines.join("\n") };
}

Deno.test("a usage error exits 2 with its one-line reason", () => {
  assert.deepEqual(report(new UsageError("bad flag")), { code: 2, text: "kafclaw: bad flag" });
});

Deno.test("a command stopped by a signal exits 130 for Ctrl-C and 143 for SIGTERM", () => {
  assert.deepEqual(report(new Cancelled()), { code: 130, text: "kafclaw: cancelled" });
  assert.deepEqual(report(new Terminated()), { code: 143, text: "kafclaw: stopped (SIGTERM)" });
});

Deno.test("a runtime error exits 1; --debug adds the cause's stack", () => {
  const cause = new Error("ECONNREFUSED");
  assert.deepEqual(report(new CliError("cannot reach broker")), {
    code: 1,
    text: "kafclaw: cannot reach broker",
  });
  const debug = report(new CliError("cannot reach broker", { cause }), true);
  assert.equal(debug.code, 1);
  assert.match(debug.text, /^kafclaw: cannot reach broker\nError: ECONNREFUSED\n\s+at /);
});

Deno.test("every error class a user can meet has its exit code in main.ts, by its own name", () => {
  const errors: [Error, number][] = [
    [new UsageError("x"), 2],
    [new ConfigKeyError("x"), 2],
    [new CronSyntaxError("* *", "too few fields"), 2],
    [new MemoryError("x"), 2],
    [new OnboardError("x"), 2],
    [new ProviderNotConfiguredError("x", "openai"), 2],
    [new UnknownAgentError("x"), 2],
    [new CliError("x"), 1],
    [new ConfigError("x"), 2],
    [
      new ProviderError("auth", "x", [
        {
          provider: "openai",
          model: "m",
          url: "http://x/v1",
          status: 401,
          detail: "no",
          attempts: 1,
        },
      ]),
      1,
    ],
    [new SandboxError("x"), 1],
    [new UntrustedConfigError("x", "chmod 600 x"), 1],
    [new DiskFullError("/home", 0), 1],
    [
      new TimelineDamagedError("/home/timeline.db", { cause: new Error("file is not a database") }),
      1,
    ],
    [new TimelineVersionError("/home/timeline.db", 99, 1), 1],
    [new TopicMissingError("group.g.requests"), 1],
    [new Cancelled(), 130],
    [new Terminated(), 143],
  ];
  for (const [error, code] of errors) {
    assert.equal(EXIT_CODES[error.name], code, error.name);
    const r = report(error);
    assert.equal(r.code, code, error.name);
    assert.ok(!r.text.includes("--debug"), `${error.name}: ${r.text}`);
  }
  assert.deepEqual(Object.keys(EXIT_CODES).sort(), errors.map(([e]) => e.name).sort());
});

Deno.test("Deno's permission wording never reaches a user: what kafclaw may not do, and where", () => {
  const outside = report(
    new Deno.errors.NotCapable(
      'Requires write access to "/srv/elsewhere", run again with the --allow-write flag',
    ),
  );
  assert.equal(outside.code, 1);
  assert.equal(
    outside.text,
    "kafclaw: kafclaw may not write /srv/elsewhere: it writes only in KAFCLAW_HOME and the " +
      "workspace (a headless gateway in KAFCLAW_HOME alone)",
  );
  const wrapped = report(
    new ConfigError(
      'Cannot read /proc/x/config.json: Requires all access to "/proc/x/config.json", run again ' +
        "with the --allow-all flag",
    ),
  );
  assert.equal(
    wrapped.text,
    "kafclaw: Cannot read /proc/x/config.json: kafclaw may not use /proc/x/config.json",
  );
  const lines: string[] = [];
  reportError(
    new Deno.errors.PermissionDenied(
      "Permission denied (os error 13): mkdir '/home/a/.kafclaw/run'",
    ),
    false,
    (s) => lines.push(s),
    "/home/a/.kafclaw",
  );
  const denied = { text: lines.join("\n") };
  assert.equal(
    denied.text,
    "kafclaw: KAFCLAW_HOME (/home/a/.kafclaw) is not writable: permission denied: mkdir " +
      "'/home/a/.kafclaw/run'; check its owner and mode",
  );
  const elsewhere = report(
    new Deno.errors.PermissionDenied("Operation not permitted (os error 1): open '/srv/w/a'"),
  );
  assert.equal(
    elsewhere.text,
    "kafclaw: operation not permitted: open '/srv/w/a': check the owner and mode of that path",
  );
  for (const r of [outside, wrapped, denied, elsewhere]) {
    assert.doesNotMatch(r.text, /--allow|os error/);
  }
});

Deno.test("an error of several lines is shown on one", () => {
  assert.deepEqual(report(new CliError("first part\nsecond part")), {
    code: 1,
    text: "kafclaw: first part; second part",
  });
});

Deno.test("an unexpected error shows its message and suggests --debug; --debug shows the stack", () => {
  const plain = report(new TypeError("x is undefined"));
  assert.equal(plain.code, 1);
  assert.equal(plain.text, "kafclaw: x is undefined\nkafclaw: run again with --debug for details");
  const debug = report(new TypeError("x is undefined"), true);
  assert.match(debug.text, /^kafclaw: x is undefined\nTypeError: x is undefined\n\s+at /);
  assert.equal(
    report("a string").text,
    "kafclaw: a string\nkafclaw: run again with --debug for details",
  );
});

const REPO = new URL("../../", import.meta.url).pathname;

/** Runs main.ts from source under the compile set, as a compiled binary would hold it. */
async function mainTs(args: string[], stdin = ""): Promise<Deno.CommandOutput> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", "-P=kafclaw", "main.ts", ...args],
    cwd: REPO,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  return await child.output();
}

Deno.test("--help does not list the file helper's reserved argument", async () => {
  const out = await mainTs(["--help"]);
  const help = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(help, /^Commands:$/m);
  assert.ok(!help.includes(FS_HELPER_ARG) && !/fs-helper/i.test(help), help);
  assert.ok(!(SUBCOMMANDS as readonly string[]).includes(FS_HELPER_ARG));
});

Deno.test("the reserved first argument runs the file helper instead of the CLI", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/a.txt`, "hello");
  const config = { root: dir.path, gitGuard: null, maxFileBytes: 1024 };
  const requests = [
    { id: 1, op: "list", path: "" },
    { id: 2, op: "read", path: "a.txt", maxBytes: 100 },
    { id: 3, op: "read", path: "../outside", maxBytes: 100 },
  ];
  const out = await mainTs(
    [FS_HELPER_ARG, JSON.stringify(config)],
    requests.map((r) => JSON.stringify(r) + "\n").join(""),
  );
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines, [
    { ready: true },
    { id: 1, ok: true, value: [{ name: "a.txt", kind: "file", size: 5 }] },
    { id: 2, ok: true, value: "hello" },
    { id: 3, ok: false, code: "outside", reason: "the path leaves the workspace" },
  ]);
});

Deno.test("the reserved argument without the sandbox's config exits 2 and says it is internal", async () => {
  for (const args of [[FS_HELPER_ARG], [FS_HELPER_ARG, "{}"], [FS_HELPER_ARG, '{"root":"rel"}']]) {
    const out = await mainTs(args);
    assert.equal(out.code, 2, args.join(" "));
    assert.match(
      new TextDecoder().decode(out.stderr),
      /^kafclaw: __kafclaw-fs-helper is started by the sandbox only: expected /,
    );
    assert.equal(out.stdout.length, 0);
  }
});

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.realPath(await Deno.makeTempDir({ prefix: "kafclaw-main-" }));
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
