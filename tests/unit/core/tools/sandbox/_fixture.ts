/**
 * Shared set-up of the sandbox tests: a fake KAFCLAW_HOME with identity key, soul file and a
 * canary outside the workspace; secrets in the environment; a recorder of every result a tool
 * returned, so that a test can assert the canary never appears in any of them.
 */
import assert from "node:assert/strict";
import {
  type ExecOptions,
  type ExecResult,
  openSandbox,
  type Sandbox,
  SandboxError,
  type SandboxErrorCode,
  type SandboxOptions,
} from "../../../../../core/tools/sandbox/mod.ts";

/** Set by the unprivileged re-run (escape_unprivileged_test.ts) in the child it starts. */
export const AS_NOBODY = Deno.env.get("KAFCLAW_SANDBOX_AS") === "nobody";

/** A fake KAFCLAW_HOME; the workspaces of the tests are folders inside it. */
export interface Home extends AsyncDisposable {
  readonly dir: string;
  /** Unique random text in every file outside the workspaces, and in the secrets. */
  readonly canary: string;
  readonly canaryFile: string;
  readonly identityKey: string;
  readonly soulFile: string;
  /** Secret environment values set in this process. */
  readonly secrets: Readonly<Record<string, string>>;
  /** Every tool result seen so far (outputs, file contents, listings, error messages). */
  readonly seen: string[];
  /** A fresh workspace path (not created yet). */
  workspace(): string;
}

/** Creates the fake home and puts secrets into this process's environment. */
export async function makeHome(): Promise<Home> {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-sandbox-home-" });
  const canary = `kafclaw-canary-${crypto.randomUUID()}`;
  await Deno.mkdir(`${dir}/identity`, { mode: 0o700 });
  await Deno.mkdir(`${dir}/soul`, { mode: 0o700 });
  const identityKey = `${dir}/identity/agent.key`;
  const soulFile = `${dir}/soul/SOUL.md`;
  const canaryFile = `${dir}/canary.txt`;
  await Deno.writeTextFile(identityKey, `PRIVATE KEY ${canary}\n`, { mode: 0o600 });
  await Deno.writeTextFile(soulFile, `# Soul ${canary}\n`, { mode: 0o600 });
  await Deno.writeTextFile(canaryFile, `${canary}\n`, { mode: 0o644 });
  const secrets = {
    OPENAI_API_KEY: `sk-${canary}`,
    KAFCLAW_GATEWAY_AUTH_TOKEN: `token-${canary}`,
  };
  for (const [name, value] of Object.entries(secrets)) Deno.env.set(name, value);
  // The last test of each file removes it; this covers runs where --filter skipped that test.
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* removed already */ }
  });
  let next = 0;
  return {
    dir,
    canary,
    canaryFile,
    identityKey,
    soulFile,
    secrets,
    seen: [],
    workspace: () => `${dir}/workspace-${next++}`,
    async [Symbol.asyncDispose]() {
      for (const name of Object.keys(secrets)) Deno.env.delete(name);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Limits that keep the hostile cases fast (and give each process 256 MiB of address space). */
export const TEST_LIMITS = {
  processes: 64,
  memoryBytes: 64 * 256 * 1024 * 1024,
  tmpBytes: 8 * 1024 * 1024,
} as const;

/** A shell word for `text`. */
export const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/**
 * Files in `workspace` that would run code when its owner uses it, found on the host by this
 * test's own list (not the sandbox's rule): `.git` and its kin in any case with trailing dots or
 * spaces, NTFS short names, and a HEAD beside `objects` or `refs` (a bare repository).
 */
export async function plantedOnHost(workspace: string): Promise<string[]> {
  const names = "git|gitattributes|gitmodules|hg|jj|envrc|vscode|idea|devcontainer|exrc|nvimrc";
  const output = await new Deno.Command("find", {
    args: [
      workspace,
      "-mindepth",
      "1",
      "-regextype",
      "posix-extended",
      "(",
      "-iregex",
      `.*/(\\.(${names}|nvim\\.lua)[. ]*|git~[0-9]+)`,
      "-printf",
      "%P\\0",
      "-prune",
      ")",
      "-o",
      "-name",
      "HEAD",
      "-printf",
      "%P\\0",
    ],
    clearEnv: true,
    env: { LC_ALL: "C", PATH: "/usr/bin:/bin" },
  }).output();
  const found = new TextDecoder().decode(output.stdout).split("\0").filter((path) => path !== "");
  const repository = (head: string) => {
    const dir = `${workspace}/${head.slice(0, -4)}`;
    return ["objects", "refs"].some((name) => {
      try {
        return Deno.lstatSync(`${dir}${name}`) !== null;
      } catch {
        return false;
      }
    });
  };
  return found.filter((path) => !path.endsWith("HEAD") || repository(path)).sort();
}

/** Opens a bwrap sandbox on a fresh workspace of `home`, runs `fn`, closes it. */
export async function withSandbox(
  home: Home,
  fn: (sandbox: Sandbox) => Promise<void>,
  options: SandboxOptions & { setup?: (workspace: string) => Promise<void> } = {},
): Promise<void> {
  const workspace = home.workspace();
  await Deno.mkdir(workspace, { mode: 0o700 });
  await options.setup?.(workspace);
  await using sandbox = await openSandbox(workspace, { limits: TEST_LIMITS, ...options });
  const why = "reason" in sandbox ? `: ${sandbox.reason}` : "";
  assert.equal(sandbox.kind, "bwrap", `these tests need a working bubblewrap${why}`);
  await fn(sandbox);
}

/** Runs a command and records its result. */
export async function run(
  home: Home,
  sandbox: Sandbox,
  command: string,
  options: Partial<ExecOptions> = {},
): Promise<ExecResult> {
  const result = await sandbox.exec(command, {
    timeoutMs: 10000,
    maxOutputBytes: 65536,
    ...options,
  });
  home.seen.push(result.stdout, result.stderr);
  return result;
}

/** Awaits a file operation, records what it returned, and returns it. */
export async function recorded<T>(home: Home, operation: Promise<T>): Promise<T> {
  const value = await operation;
  home.seen.push(typeof value === "string" ? value : JSON.stringify(value));
  return value;
}

/** Asserts that a file operation is refused with `code`; records the message. */
export async function refused(
  home: Home,
  operation: Promise<unknown>,
  code: SandboxErrorCode,
): Promise<SandboxError> {
  try {
    const value = await operation;
    home.seen.push(JSON.stringify(value) ?? String(value));
  } catch (error) {
    assert.ok(error instanceof SandboxError, `expected a SandboxError, got ${error}`);
    home.seen.push(error.message);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected a refusal (${code}), but the operation succeeded`);
}

/** Whether a host process is still running (signal 0 probes without killing). */
export function alive(pid: number): boolean {
  try {
    Deno.kill(pid, 0 as unknown as Deno.Signal);
    return true;
  } catch {
    return false;
  }
}

/** Host processes whose command line contains `marker` (Deno reads /proc only with -A). */
export async function processesWith(
  marker: string,
): Promise<{ pid: number; uid: number; args: string }[]> {
  const output = await new Deno.Command("ps", { args: ["-e", "-ww", "-o", "pid=,uid=,args="] })
    .output();
  const found = [];
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (match === null || !match[3]?.includes(marker) || match[3].startsWith("ps ")) continue;
    found.push({ pid: Number(match[1]), uid: Number(match[2]), args: match[3] });
  }
  return found;
}
