/**
 * `deno task compile`: one binary per target (linux and darwin, amd64 and arm64) with the compile
 * permission set (`kafclaw`, the union of every subcommand's set) baked in, written to dist/. That
 * set holds every grant a headless gateway's narrowed flags hold (scripts/launch_flags.ts), but a
 * binary cannot narrow them to hosts and paths: Deno revokes only whole grants, so a headless
 * gateway from a binary has the whole network and says so as it starts; the permission-locked
 * server is `deno task run-headless` from a checkout (README, Permissions).
 *
 * `deno compile` downloads the Deno runtime for each target from Deno's download server; where that
 * server cannot be reached the step fails and says so. `--bundle-only` proves what can be proven
 * offline: that main.ts and everything it imports bundle into one file that runs.
 */
Deno.env.delete("RUST_BACKTRACE");

const TARGETS = [
  ["x86_64-unknown-linux-gnu", "linux-amd64"],
  ["aarch64-unknown-linux-gnu", "linux-arm64"],
  ["x86_64-apple-darwin", "darwin-amd64"],
  ["aarch64-apple-darwin", "darwin-arm64"],
] as const;

const root = new URL("../", import.meta.url).pathname;
const deno = Deno.execPath();

async function run(args: string[]): Promise<{ ok: boolean; output: string }> {
  const out = await new Deno.Command(deno, { args, cwd: root, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { ok: out.success, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

await Deno.mkdir(`${root}dist`, { recursive: true });
const bundle = await run(["bundle", "--quiet", "main.ts", "-o", "dist/kafclaw.bundle.js"]);
if (!bundle.ok) {
  console.error(`bundle of main.ts failed:\n${bundle.output}`);
  Deno.exit(1);
}
console.log("dist/kafclaw.bundle.js: main.ts bundled");
if (Deno.args.includes("--bundle-only")) Deno.exit(0);

let failed = 0;
for (const [target, name] of TARGETS) {
  const output = `dist/kafclaw-${name}`;
  const r = await run(["compile", "-P=kafclaw", "--target", target, "-o", output, "main.ts"]);
  if (r.ok) {
    console.log(`${output}: built for ${target}`);
  } else {
    failed++;
    const reason = r.output.includes("dl.deno.land")
      ? "the Deno runtime for this target could not be downloaded from Deno's download server"
      : r.output.trim().split("\n").slice(-3).join(" ");
    console.error(`${output}: not built for ${target}: ${reason}`);
  }
}
Deno.exit(failed === 0 ? 0 : 1);
