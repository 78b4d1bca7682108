/**
 * The house rules, read from the code's own imports: core imports no adapter, a folder with a
 * mod.ts is entered only through it, and no two core folders import each other in a circle.
 */
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url).pathname;
const SOURCES = ["main.ts", "cli", "core", "web", "channels", "kshark"];
const ADAPTERS = ["cli/", "web/", "channels/", "kshark/", "main.ts"];
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;

async function* files(path: string): AsyncGenerator<string> {
  const info = await Deno.stat(`${root}${path}`).catch(() => undefined);
  if (!info) return;
  if (info.isFile) {
    if (path.endsWith(".ts")) yield path;
    return;
  }
  for await (const entry of Deno.readDir(`${root}${path}`)) yield* files(`${path}/${entry.name}`);
}

function resolve(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const url = new URL(specifier, `file:///${from}`);
  return url.pathname.slice(1);
}

/** Every relative import of the production code: [importer, imported file]. */
async function imports(): Promise<[string, string][]> {
  const edges: [string, string][] = [];
  for (const source of SOURCES) {
    for await (const file of files(source)) {
      const text = await Deno.readTextFile(`${root}${file}`);
      for (const match of text.matchAll(IMPORT)) {
        const target = resolve(file, match[1] ?? match[2]!);
        if (target) edges.push([file, target]);
      }
    }
  }
  return edges;
}

/**
 * Imports that skip a door on purpose, each with its reason. main.ts starts the sandbox's file
 * helper from a compiled binary before anything else loads, so that process holds the helper alone.
 */
const SIDE_DOORS = new Set(["main.ts -> core/tools/sandbox/helper.ts"]);

const dirOf = (file: string) => file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "";

/** Folders that have a mod.ts, the only file others may import from them. */
async function folders(): Promise<Set<string>> {
  const found = new Set<string>();
  for (const source of SOURCES) {
    for await (const file of files(source)) {
      if (file.endsWith("/mod.ts")) found.add(dirOf(file));
    }
  }
  return found;
}

/** The core folder of a file (`core/agent`), or undefined outside core. */
const coreFolder = (file: string) => /^core\/[^/]+(?=\/)/.exec(file)?.[0];

Deno.test("core imports none of the adapters (cli, web, channels, kshark, main.ts)", async () => {
  const wrong = (await imports())
    .filter(([from, to]) => from.startsWith("core/") && ADAPTERS.some((a) => to.startsWith(a)))
    .map(([from, to]) => `${from} -> ${to}`);
  assert.deepEqual(wrong, []);
});

Deno.test("a folder with a mod.ts is entered from outside only through its mod.ts", async () => {
  const doors = await folders();
  const wrong: string[] = [];
  for (const [from, to] of await imports()) {
    // The innermost folder with a door that holds the target but not the importer.
    let dir = dirOf(to);
    while (dir && !from.startsWith(`${dir}/`) && !doors.has(dir)) dir = dirOf(dir);
    const entered = dir !== "" && !from.startsWith(`${dir}/`);
    const edge = `${from} -> ${to}`;
    if (entered && to !== `${dir}/mod.ts` && !SIDE_DOORS.has(edge)) wrong.push(edge);
  }
  assert.deepEqual(wrong, []);
});

Deno.test("no import cycle between core folders", async () => {
  const graph = new Map<string, Set<string>>();
  for (const [from, to] of await imports()) {
    const a = coreFolder(from);
    const b = coreFolder(to);
    if (!a || !b || a === b) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    graph.get(a)!.add(b);
  }
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  // path: the folders from the start of the walk to node, node included.
  const visit = (node: string, path: string[]) => {
    state.set(node, "open");
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") {
        cycles.push([...path.slice(path.indexOf(next)), next].join(" -> "));
      } else if (!state.has(next)) visit(next, [...path, next]);
    }
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node, [node]);
  assert.deepEqual(cycles, []);
});

Deno.test("the house rules see imports of every form", () => {
  const text = [
    'import { a } from "./a.ts";',
    'import type { B } from "../b/b.ts";',
    'export { c } from "./c/mod.ts";',
    "import {\n  d,\n  e,\n} from './d.ts';",
    'const f = await import("../f/mod.ts");',
  ].join("\n");
  const found = [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
  assert.deepEqual(found, ["./a.ts", "../b/b.ts", "./c/mod.ts", "./d.ts", "../f/mod.ts"]);
  assert.equal(resolve("core/agent/loop.ts", "../tools/types.ts"), "core/tools/types.ts");
});
