/**
 * The command line of a script that writes a JSON file generated from the code (the command table,
 * the tools' JSON Schemas): `--write` rewrites the file, `--check` exits 1 when it differs from
 * what the code gives now, no flag prints the table.
 *
 * @module
 */

/** What {@link generatedTableMain} writes, checks or prints. */
export interface GeneratedTable {
  /** The file, and how messages name it (its path in the checkout). */
  readonly path: URL;
  readonly name: string;
  /** What it is generated from, in words ("the subcommands' parsers"). */
  readonly source: string;
  /** The script that writes it, as run from the checkout. */
  readonly script: string;
  /** The table as the code gives it now. */
  readonly table: unknown;
  /** The table as the file holds it. */
  readonly written: () => Promise<unknown>;
}

/** Runs the script's command line (`args`: Deno.args). */
export async function generatedTableMain(of: GeneratedTable, args: readonly string[]) {
  const mode = args[0] ?? "--print";
  if (mode === "--write") {
    await Deno.writeTextFile(of.path, JSON.stringify(of.table, null, 2) + "\n");
    console.log(`${of.name}: written from ${of.source}`);
  } else if (mode === "--check") {
    if (JSON.stringify(await of.written()) !== JSON.stringify(of.table)) {
      console.error(
        `${of.name} differs from ${of.source}; run \`deno run -P=test ${of.script} --write\``,
      );
      Deno.exit(1);
    }
  } else {
    console.log(JSON.stringify(of.table, null, 2));
  }
}
