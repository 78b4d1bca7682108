import assert from "node:assert/strict";
import {
  ancestors,
  dropArgs,
  limitArgs,
  sandboxArgs,
  type SandboxView,
} from "../../../../../core/tools/sandbox/_bwrap_args.ts";
import { execInner } from "../../../../../core/tools/sandbox/_exec_init.ts";
import {
  addressSpaceBytes,
  DEFAULT_SANDBOX_LIMITS,
} from "../../../../../core/tools/sandbox/mod.ts";

const VIEW: SandboxView = {
  system: [{ path: "/bin", link: "usr/bin" }, { path: "/lib64", link: null }],
  workspace: "/home/me/.kafclaw/workspace",
  etcDir: "/tmp/state/etc",
  readOnly: [],
  deno: null,
  tmpBytes: 1024,
  cwd: [],
  env: { PATH: "/usr/bin", HOME: "/work" },
};

/** The operands of every occurrence of `flag`. */
function operands(args: string[], flag: string, count: number): string[][] {
  const found: string[][] = [];
  args.forEach((arg, i) => {
    if (arg === flag) found.push(args.slice(i + 1, i + 1 + count));
  });
  return found;
}

Deno.test("the sandbox unshares every namespace, never shares the network, and locks itself", () => {
  const args = sandboxArgs(VIEW);
  for (const flag of ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent"]) {
    assert.ok(args.includes(flag), flag);
  }
  assert.ok(args.includes("--new-session") && args.includes("--clearenv"));
  assert.ok(!args.some((arg) => arg.startsWith("--share") || arg === "--cap-add"));
  assert.deepEqual(operands(args, "--tmpfs", 1)[0], ["/"]);
  assert.deepEqual(operands(args, "--remount-ro", 1), [["/"]]);
  assert.deepEqual(operands(args, "--setenv", 2), [["PATH", "/usr/bin"], ["HOME", "/work"]]);
});

Deno.test("the workspace is the only writable bind; system folders and /etc are read-only", () => {
  const args = sandboxArgs({ ...VIEW, readOnly: [".git"], deno: "/opt/deno" });
  assert.deepEqual(operands(args, "--bind", 2), [[VIEW.workspace, "/work"]]);
  assert.ok(!args.includes("--dev-bind"));
  const readOnly = operands(args, "--ro-bind", 2).map(([, to]) => to);
  assert.deepEqual(readOnly, [
    "/usr",
    "/lib64",
    "/etc/passwd",
    "/etc/group",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/work/.git",
    "/kafclaw/deno",
  ]);
  assert.deepEqual(operands(args, "--symlink", 2), [["usr/bin", "/bin"]]);
  assert.ok(operands(args, "--ro-bind-try", 2).every(([from, to]) => from === to));
});

Deno.test("protected paths are bound read-only over the workspace, parents first", () => {
  const args = sandboxArgs({ ...VIEW, readOnly: ["a/b/.git", ".envrc", "a/.vscode"] });
  const readOnly = operands(args, "--ro-bind", 2).filter(([, to]) => to?.startsWith("/work"));
  assert.deepEqual(readOnly, [
    [`${VIEW.workspace}/.envrc`, "/work/.envrc"],
    [`${VIEW.workspace}/a/.vscode`, "/work/a/.vscode"],
    [`${VIEW.workspace}/a/b/.git`, "/work/a/b/.git"],
  ]);
  const whole = sandboxArgs({ ...VIEW, readOnly: [""] });
  assert.deepEqual(operands(whole, "--bind", 2), []);
  assert.ok(operands(whole, "--ro-bind", 2).some(([, to]) => to === "/work"));
});

Deno.test("/tmp and /dev/shm are sized tmpfs; /proc and /dev are fresh", () => {
  const args = sandboxArgs(VIEW);
  assert.deepEqual(operands(args, "--size", 3), [["1024", "--tmpfs", "/dev/shm"], [
    "1024",
    "--tmpfs",
    "/tmp",
  ]]);
  assert.deepEqual(operands(args, "--proc", 1), [["/proc"]]);
  assert.deepEqual(operands(args, "--dev", 1), [["/dev"]]);
});

Deno.test("the command starts in /work or the folder asked for", () => {
  assert.deepEqual(operands(sandboxArgs(VIEW), "--chdir", 1), [["/work"]]);
  assert.deepEqual(operands(sandboxArgs({ ...VIEW, cwd: ["a", "b"] }), "--chdir", 1), [[
    "/work/a/b",
  ]]);
});

Deno.test("as root, a first stage makes the paths reachable and drops every privilege", () => {
  const args = dropArgs({ ...VIEW, deno: "/root/.deno/bin/deno" }, { uid: 4242, gid: 4343 });
  const setpriv = args.indexOf("setpriv");
  assert.deepEqual(args.slice(setpriv), [
    "setpriv",
    "--reuid",
    "4242",
    "--regid",
    "4343",
    "--clear-groups",
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--",
    "bwrap",
  ]);
  assert.ok(args.includes("--unshare-pid") && args.includes("--die-with-parent"));
  const dirs = operands(args, "--dir", 1).map(([dir]) => dir);
  for (const dir of ["/home/me/.kafclaw", "/root/.deno/bin", "/tmp/state", "/etc"]) {
    assert.ok(dirs.includes(dir), dir);
  }
  assert.deepEqual(operands(args, "--bind", 2), [["/proc", "/proc"], [
    VIEW.workspace,
    VIEW.workspace,
  ]]);
});

Deno.test("ancestors lists every folder above the paths, outermost first", () => {
  assert.deepEqual(ancestors(["/a/b/c", "/a/d", "/x"]), ["/a", "/a/b"]);
  assert.deepEqual(ancestors([]), []);
});

Deno.test("limits become prlimit arguments, CPU capped by the call's time limit", () => {
  assert.deepEqual(limitArgs({ processes: 8, openFiles: 10 }), [
    "prlimit",
    "--nproc=8",
    "--nofile=10",
    "--core=0",
    "--",
  ]);
  const inner = execInner("echo hi", {
    limits: DEFAULT_SANDBOX_LIMITS,
    timeoutMs: 2500,
    binds: [],
  });
  assert.ok(inner.includes("--cpu=4"));
  assert.deepEqual(inner.slice(-3), ["/bin/sh", "-c", "echo hi"]);
});

Deno.test("each process gets its share of the command's memory as address space", () => {
  const limits = { ...DEFAULT_SANDBOX_LIMITS, processes: 16, memoryBytes: 4 * 1024 ** 3 };
  assert.equal(addressSpaceBytes(limits), 256 * 1024 ** 2);
  const inner = execInner("true", { limits, timeoutMs: 1000, binds: [] });
  assert.ok(inner.includes(`--as=${256 * 1024 ** 2}`), inner.join(" "));
  assert.ok(inner.includes("--nproc=16"));
});

Deno.test("the first process checks every protected bind's device and inode, then runs", () => {
  const inner = execInner("echo hi", {
    limits: DEFAULT_SANDBOX_LIMITS,
    timeoutMs: 1000,
    binds: [{ path: ".git", id: "12:34" }, { path: "b", id: "5:6", check: "b/HEAD" }],
  });
  assert.equal(inner[0], "bash");
  const args = inner.slice(4);
  assert.deepEqual(args.slice(0, 5), ["1000", "12:34 5:6", "2", "/work/.git", "/work/b/HEAD"]);
  assert.deepEqual(inner.slice(-3), ["/bin/sh", "-c", "echo hi"]);
});
