/**
 * Writes core/tools/_tool_parameters.json, the JSON Schema of every built-in tool's arguments that
 * the model is offered, from their zod schemas: each module of core that declares tool arguments
 * (`toolArgs("name", …)`) is loaded and its schemas built. `--write` rewrites the file, `--check`
 * exits 1 when it differs, no flag prints the table. Run it with `-P=test` after changing a
 * built-in tool's arguments; tests/unit/core/tools/tool_parameters_test.ts fails until then (and a
 * tool whose JSON Schema is missing cannot be defined).
 *
 * @module
 */
import { z } from "zod";
import { declaredToolArgs, parametersOf, type ToolParameters } from "../core/tools/define.ts";
import { generatedTableMain } from "./_generated_table.ts";

/** The file this script writes. */
export const PARAMETERS_PATH = new URL("../core/tools/_tool_parameters.json", import.meta.url);

const CORE = new URL("../core/", import.meta.url);
const DECLARES = /\btoolArgs\(\s*"/;

async function tsFiles(dir: URL): Promise<URL[]> {
  const files: URL[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) files.push(...await tsFiles(new URL(`${entry.name}/`, dir)));
    else if (entry.name.endsWith(".ts")) files.push(new URL(entry.name, dir));
  }
  return files;
}

/** Every built-in tool's JSON Schema, by name, in name order. */
export async function toolParameters(): Promise<Record<string, ToolParameters>> {
  for (const file of await tsFiles(CORE)) {
    if (DECLARES.test(await Deno.readTextFile(file))) await import(file.href);
  }
  const declared = declaredToolArgs().sort((a, b) => a.name < b.name ? -1 : 1);
  return Object.fromEntries(declared.map((args) => [args.name, parametersOf(args.build(z))]));
}

/** The table as the file holds it. */
export async function writtenParameters(): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(PARAMETERS_PATH));
}

if (import.meta.main) {
  await generatedTableMain({
    path: PARAMETERS_PATH,
    name: "core/tools/_tool_parameters.json",
    source: "the tools' schemas",
    script: "scripts/tool_parameters.ts",
    table: await toolParameters(),
    written: writtenParameters,
  }, Deno.args);
}
