/**
 * What an `exec` costs now that the workspace's protected files are guarded around it (found
 * and bound read-only before the command, what it planted set aside after: two more bubblewrap
 * starts, each running `find`), against a baseline measured in the same run: one bare
 * bubblewrap start of the same view running `true` (as root, with the same first stage that
 * drops to uid 65534). Once in a small workspace, once in one of 20,000 files in 400 folders,
 * where the scans read every name.
 */
import { dropArgs, sandboxArgs } from "../../core/tools/sandbox/_bwrap_args.ts";
import { systemLayout, writeSandboxEtc } from "../../core/tools/sandbox/_host.ts";
import { openSandbox } from "../../core/tools/sandbox/mod.ts";

const dir = await Deno.makeTempDir({ prefix: "kafclaw-bench-" });
const root = Deno.uid() === 0;
const system = await systemLayout();
await writeSandboxEtc(`${dir}/etc`);
const LIMITS = { timeoutMs: 30000, maxOutputBytes: 65536 };

/** A workspace with `folders` x `files` small files and a nested repository of the owner's. */
async function workspace(name: string, folders: number, files: number): Promise<string> {
  const path = `${dir}/${name}`;
  for (let f = 0; f < folders; f++) {
    await Deno.mkdir(`${path}/src/d${f}`, { recursive: true });
    for (let i = 0; i < files; i++) await Deno.writeTextFile(`${path}/src/d${f}/f${i}.txt`, "x");
  }
  await Deno.mkdir(`${path}/lib/.git/objects`, { recursive: true });
  await Deno.mkdir(`${path}/lib/.git/refs`);
  await Deno.writeTextFile(`${path}/lib/.git/HEAD`, "ref: refs/heads/main\n");
  if (root) await new Deno.Command("chown", { args: ["-R", "65534:65534", path] }).output();
  return path;
}

/** One bubblewrap start of the sandbox's view of `path`, running `true`. */
function bareStart(path: string): () => Promise<void> {
  const view = {
    system,
    workspace: path,
    etcDir: `${dir}/etc`,
    readOnly: [],
    deno: null,
    tmpBytes: 1 << 20,
    cwd: [],
    env: { PATH: "/usr/bin:/bin" },
  };
  const stage = root ? dropArgs(view, { uid: 65534, gid: 65534 }) : [];
  const args = [...stage, ...sandboxArgs(view), "true"];
  return async () => {
    const output = await new Deno.Command("bwrap", { args, stdout: "null" }).output();
    if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  };
}

for (const [name, folders, files] of [["small", 2, 5], ["20,000 files", 400, 50]] as const) {
  const path = await workspace(name.replace(/\W/g, ""), folders, files);
  const sandbox = await openSandbox(path, { stateDir: `${path}-state` });
  const group = `exec true (${name} workspace)`;
  Deno.bench("one bare bubblewrap start", { group, baseline: true }, bareStart(path));
  Deno.bench("sandbox.exec, protected files guarded", { group }, async () => {
    const result = await sandbox.exec("true", LIMITS);
    if (result.exitCode !== 0) throw new Error(result.stderr);
  });
  globalThis.addEventListener("unload", () => {
    sandbox.close();
  });
}

globalThis.addEventListener("unload", () => {
  Deno.removeSync(dir, { recursive: true });
});
