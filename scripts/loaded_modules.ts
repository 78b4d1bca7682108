/**
 * What one command line of kafclaw loads: runs main.ts with it under a permission set of deno.json
 * (the subcommand's own by default, as the launcher picks it) and lists every module it ran, read
 * from V8's coverage of the process: the npm packages by name and this checkout's files by path.
 * `deno info main.ts` shows what could load; this shows what did, dynamic imports included. The
 * run sees PATH, HOME, DENO_DIR and KAFCLAW_HOME of the environment, nothing else.
 *
 * ```sh
 * KAFCLAW_HOME=/tmp/h deno run -P=test scripts/loaded_modules.ts -- status --json
 * ```
 *
 * @module
 */
import { permissionSetFor } from "../core/permissions/mod.ts";

const ROOT = new URL("../", import.meta.url);

/** What a run loaded, and how it ended. */
export interface LoadedModules {
  /** npm packages, by name (`kafkajs`, `@logtape/logtape`), sorted. */
  readonly packages: string[];
  /** Files of this checkout, relative to its root (`cli/mod.ts`), sorted. */
  readonly files: string[];
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link loadedModules}. */
export interface LoadedModulesOptions {
  /** The deno.json permission set to run under; the one the launcher picks for `args` if unset. */
  readonly permissionSet?: string;
  /** The environment of the run (nothing else is passed but PATH, HOME and DENO_DIR). */
  readonly env?: Record<string, string>;
  /**
   * For a command that runs until stopped (`gateway`): SIGTERM once its stdout matches, then
   * wait for it to end (what it loaded is known only when it ends).
   */
  readonly stopOn?: RegExp;
}

/** Runs `main.ts ARGS` and returns the modules it loaded. */
export async function loadedModules(
  args: readonly string[],
  options: LoadedModulesOptions = {},
): Promise<LoadedModules> {
  const coverage = await Deno.makeTempDir({ prefix: "kafclaw-loaded-" });
  try {
    const set = options.permissionSet ?? permissionSetFor(args);
    const keep = ["PATH", "HOME", "DENO_DIR"].flatMap((k) => {
      const v = Deno.env.get(k);
      return v === undefined ? [] : [[k, v] as const];
    });
    const command = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--no-prompt",
        `-P=${set}`,
        `--coverage=${coverage}`,
        "main.ts",
        ...args,
      ],
      cwd: ROOT.pathname,
      env: { ...Object.fromEntries(keep), ...options.env },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    });
    const out = options.stopOn === undefined
      ? await command.output()
      : await stoppedOn(command.spawn(), options.stopOn);
    const urls = new Set<string>();
    for await (const entry of Deno.readDir(coverage)) {
      const { url } = JSON.parse(await Deno.readTextFile(`${coverage}/${entry.name}`));
      if (typeof url === "string") urls.add(url);
    }
    return {
      ...modulesOf(urls),
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  } finally {
    await Deno.remove(coverage, { recursive: true });
  }
}

/** Reads `child`'s stdout until it matches `stop`, sends SIGTERM, and returns its whole output. */
async function stoppedOn(child: Deno.ChildProcess, stop: RegExp): Promise<Deno.CommandOutput> {
  const stderr = new Response(child.stderr).bytes();
  let text = "";
  let stopped = false;
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    text += decoder.decode(chunk, { stream: true });
    if (!stopped && stop.test(text)) {
      stopped = true;
      child.kill("SIGTERM");
    }
  }
  const status = await child.status;
  return { ...status, stdout: new TextEncoder().encode(text), stderr: await stderr };
}

/** Sorts module URLs into npm package names and files of this checkout. */
export function modulesOf(urls: Iterable<string>): { packages: string[]; files: string[] } {
  const packages = new Set<string>();
  const files = new Set<string>();
  for (const url of urls) {
    const npm = /\/registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)\//.exec(url) ??
      /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (npm) packages.add(npm[1]!);
    else if (url.startsWith(ROOT.href)) files.add(url.slice(ROOT.href.length));
  }
  return { packages: [...packages].sort(), files: [...files].sort() };
}

if (import.meta.main) {
  const args = Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args;
  const home = Deno.env.get("KAFCLAW_HOME");
  const run = await loadedModules(args, { env: home ? { KAFCLAW_HOME: home } : {} });
  console.log(`exit ${run.code}; packages: ${run.packages.join(" ") || "none"}`);
  const folders = new Map<string, number>();
  for (const file of run.files) {
    const folder = file.split("/").slice(0, 2).join("/");
    folders.set(folder, (folders.get(folder) ?? 0) + 1);
  }
  console.log([...folders].map(([folder, n]) => `${folder} ${n}`).join("\n"));
}
