/**
 * Ranks where a V8 CPU profile's time went (a `.cpuprofile` that `deno run --cpu-prof` writes, or
 * the delegation bench's worker with `KAFCLAW_BENCH_WORKER_FLAGS="--cpu-prof --cpu-prof-dir=…"`):
 * self time by module and by function, and with `--stacks <text>` the call stacks that lead to
 * the functions whose name or file holds that text.
 *
 *     deno run -R scripts/bench/profile_rank.ts <file.cpuprofile> [--top 40] [--stacks name]
 *
 * A module is a file of this tree (its path), an npm package (`npm:<name>`), a part of Deno
 * (`ext:…`), or, for native code and V8's own work, the function's name in parentheses
 * (`(garbage collector)`, `(idle)`, an op such as `(op_fs_open_sync)`).
 *
 * @module
 */
import { parseArgs } from "node:util";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}

interface Profile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

const ROOT = new URL("../../", import.meta.url).href;

/** A frame's file as this tree's path, `npm:<package>`, or Deno's own `ext:` name. */
function fileOf(url: string): string {
  if (url.startsWith(ROOT)) return url.slice(ROOT.length);
  const npm = url.match(/\/registry\.npmjs\.org\/([^/]+)\//);
  return npm ? `npm:${npm[1]}` : url;
}

/** Self time (µs) of each node: each sample's time goes to the node on top of its stack. */
export function selfTimes(profile: Profile): Map<number, number> {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  });
  return self;
}

/** The time of `self` summed by `key` of each node, largest first. */
export function rank(
  profile: Profile,
  self: Map<number, number>,
  key: (node: ProfileNode) => string,
): [string, number][] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const sums = new Map<string, number>();
  for (const [id, time] of self) {
    const k = key(byId.get(id)!);
    sums.set(k, (sums.get(k) ?? 0) + time);
  }
  return [...sums].sort((a, b) => b[1] - a[1]);
}

const moduleOf = ({ callFrame: { url, functionName } }: ProfileNode) =>
  url !== "" ? fileOf(url) : functionName.startsWith("(") ? functionName : `(${functionName})`;

const functionOf = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || "(anonymous)"} ${url ? `${fileOf(url)}:${lineNumber + 1}` : ""}`;
};

/** The stacks (six frames, innermost first) leading to the nodes whose function holds `text`. */
function stacksOf(profile: Profile, self: Map<number, number>, text: string) {
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parents.set(c, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const chosen = new Map<number, number>();
  for (const [id, time] of self) {
    if (functionOf(byId.get(id)!).includes(text)) chosen.set(id, time);
  }
  return rank(profile, chosen, (node) => {
    const frames: string[] = [];
    for (let at: number | undefined = node.id; at !== undefined && frames.length < 6;) {
      frames.push(functionOf(byId.get(at)!).trim());
      at = parents.get(at);
    }
    return frames.join(" < ");
  });
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { top: { type: "string", default: "40" }, stacks: { type: "string" } },
    allowPositionals: true,
  });
  const file = positionals[0];
  if (file === undefined) {
    console.error("Usage: profile_rank.ts <file.cpuprofile> [--top N] [--stacks name]");
    Deno.exit(2);
  }
  const profile: Profile = JSON.parse(await Deno.readTextFile(file));
  const self = selfTimes(profile);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const show = (title: string, rows: [string, number][]) => {
    console.log(`\n${title} (of ${(total / 1000).toFixed(0)} ms sampled)`);
    for (const [name, time] of rows.slice(0, Number(values.top))) {
      const share = `${((100 * time) / total).toFixed(1)}%`.padStart(6);
      console.log(`${(time / 1000).toFixed(1).padStart(9)} ms ${share}  ${name}`);
    }
  };
  show("self time by module", rank(profile, self, moduleOf));
  show("self time by function", rank(profile, self, functionOf));
  if (values.stacks) show(`stacks of ${values.stacks}`, stacksOf(profile, self, values.stacks));
}
