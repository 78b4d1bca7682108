/**
 * `deno task test-critical`: runs the unit tests of the critical logic with coverage and fails
 * unless every critical file has 100% line and branch coverage. Critical now: envelope parsing and
 * validation, signatures and certificates, topic names (core/protocol), configuration precedence
 * and validation (core/config), the permission table, the transport's delivery core, sessions,
 * subagent limits, the soul-file and memory tools, tool definitions, and the sandbox's path rules and
 * argument builder, the timeline's storage, and the policy (decisions, taint, quotas, rate limits,
 * budgets, redaction, sensitivity routing), approvals and how owners answer them, which agent
 * runs, the one door into a turn and the guard around it, the agent's runtime, the path from a
 * task record to a turn (core/group), the orchestrator's nodes and hierarchy (core/orchestrator),
 * and which addresses `web_fetch` may reach. A critical file that no test loads fails too
 * (coverage would never see it).
 *
 * `--from DIR` judges the coverage a test run already wrote to DIR (`deno test --coverage=DIR`)
 * instead of running the tests again: scripts/test --gates collects it during the unit tier, which
 * runs every test listed here, so CI runs them once.
 */
Deno.env.delete("RUST_BACKTRACE");

const CRITICAL: RegExp[] = [
  /^core\/protocol\/.+\.ts$/,
  /^core\/bytes\/.+\.ts$/,
  /^core\/errors\/.+\.ts$/,
  /^core\/config\/.+\.ts$/,
  /^core\/permissions\/.+\.ts$/,
  /^core\/transport\/(dispatch|executor|dead_letter|murmur2|handlers|commits|watermark)\.ts$/,
  /^core\/agent\/(sessions|subagents|soul_tool|approvals|guard|door|turn|runtime|profile)\.ts$/,
  /^core\/group\/.+\.ts$/,
  /^core\/orchestrator\/.+\.ts$/,
  /^core\/tools\/(define|memory_tools)\.ts$/,
  /^core\/tools\/sandbox\/(paths|_bwrap_args)\.ts$/,
  /^core\/tools\/web\/address\.ts$/,
  /^core\/timeline\/.+\.ts$/,
  /^core\/policy\/.+\.ts$/,
  /^core\/memory\/.+\.ts$/,
  /^core\/scheduler\/.+\.ts$/,
  /^core\/cron\/.+\.ts$/,
];
const TESTS = [
  "tests/unit/core/protocol",
  "tests/unit/core/bytes",
  "tests/unit/core/errors",
  "tests/unit/core/config",
  "tests/unit/core/permissions",
  "tests/unit/core/transport",
  "tests/unit/cli",
  "tests/unit/core/agent",
  "tests/unit/core/group",
  "tests/unit/core/orchestrator",
  "tests/unit/core/tools",
  "tests/unit/core/timeline",
  "tests/unit/core/policy",
  "tests/unit/core/memory",
  "tests/unit/core/scheduler",
  "tests/unit/core/cron",
  "tests/unit/core/gateway",
];

const root = new URL("../", import.meta.url).pathname;
const deno = Deno.execPath();
const from = Deno.args[0] === "--from" ? Deno.args[1] : undefined;
if (Deno.args.length > 0 && from === undefined) {
  console.error("test-critical: the only option is --from DIR (coverage a test run wrote there)");
  Deno.exit(2);
}
let raw = from ?? "";
if (from === undefined) {
  const dir = `${root}.tmp/critical`;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  raw = `${dir}/raw`;
  const test = await new Deno.Command(deno, {
    args: ["test", "-P=test", "--quiet", `--coverage=${raw}`, ...TESTS],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!test.success) {
    console.error("test-critical: the critical tests failed");
    Deno.exit(1);
  }
} else if (!(await Deno.stat(from).then((s) => s.isDirectory, () => false))) {
  console.error(`test-critical: no coverage at ${from} (did the unit tier run with --coverage?)`);
  Deno.exit(1);
}
// Only core holds critical files: the report leaves the rest out (the npm packages and the test
// files of every test module's coverage took it some 15 s instead of 2).
const core = `^file://${root}core/`.replace(/[.*+?()[\]{}|\\$]/g, "\\$&");
const lcov = await new Deno.Command(deno, {
  args: ["coverage", raw, "--lcov", `--include=${core}`],
  cwd: root,
  stdout: "piped",
  stderr: "inherit",
}).output();
if (!lcov.success) Deno.exit(1);

interface FileCoverage {
  file: string;
  lines: [number, number];
  branches: [number, number];
  missed: string[];
}
const files: FileCoverage[] = [];
let current: FileCoverage | undefined;
for (const line of new TextDecoder().decode(lcov.stdout).split("\n")) {
  const [tag, value = ""] = line.split(/:(.*)/s);
  if (tag === "SF") {
    const file = value.startsWith(root)
      ? value.slice(root.length)
      : value.replace(/^file:\/\//, "");
    current = { file, lines: [0, 0], branches: [0, 0], missed: [] };
    if (CRITICAL.some((re) => re.test(current!.file))) files.push(current);
  } else if (!current) continue;
  else if (tag === "LF") current.lines[1] = Number(value);
  else if (tag === "LH") current.lines[0] = Number(value);
  else if (tag === "BRF") current.branches[1] = Number(value);
  else if (tag === "BRH") current.branches[0] = Number(value);
  else if (tag === "DA" && value.split(",")[1] === "0") {
    current.missed.push(`line ${value.split(",")[0]}`);
  } else if (tag === "BRDA" && /,(0|-)$/.test(value)) {
    current.missed.push(`branch at line ${value.split(",")[0]}`);
  }
}

// Every critical file in the tree; one that no test loaded has no coverage record at all. A file
// of types only is never loaded (its imports are erased), and has nothing to cover.
const RUNTIME_CODE =
  /^(?:export\s+(?:default\s+)?)?(?:async\s+)?(?:function|const|let|var|class|enum)\b|^export\s*(?:\*|\{)/m;
async function* sources(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(`${root}${dir}`)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* sources(path);
    else if (entry.isFile && path.endsWith(".ts")) yield path;
  }
}
const covered = new Set(files.map((f) => f.file));
const unloaded: string[] = [];
for await (const path of sources("core")) {
  if (!CRITICAL.some((re) => re.test(path)) || covered.has(path)) continue;
  if (RUNTIME_CODE.test(await Deno.readTextFile(`${root}${path}`))) unloaded.push(path);
}

let failed = unloaded.length;
for (const file of unloaded.sort()) console.log(`FAIL ${file.padEnd(44)} loaded by no test`);
const pct = ([hit, found]: [number, number]) =>
  found === 0 ? "100.0" : (100 * hit / found).toFixed(1);
for (const f of files.sort((a, b) => a.file.localeCompare(b.file))) {
  const ok = f.lines[0] === f.lines[1] && f.branches[0] === f.branches[1];
  if (!ok) failed++;
  console.log(
    `${ok ? "ok  " : "FAIL"} ${f.file.padEnd(44)} lines ${pct(f.lines).padStart(5)}%  branches ${
      pct(f.branches).padStart(5)
    }%${ok ? "" : `  missed: ${[...new Set(f.missed)].slice(0, 8).join(", ")}`}`,
  );
}
if (files.length === 0) {
  console.error("test-critical: no critical file was covered at all");
  Deno.exit(1);
}
const total = files.length + unloaded.length;
console.log(`test-critical: ${total - failed} of ${total} critical files fully covered`);
Deno.exit(failed === 0 ? 0 : 1);
