/**
 * Adds to tests/golden/protocol the records of missing required fields that the schemas call for
 * (tests/unit/core/protocol/_missing.ts): one per required field of each valid golden record's type,
 * written to `missing/` and listed in index.json. It only adds: a case whose field is no longer
 * required stays, and fails the golden test until it is removed by hand, on purpose.
 *
 *   deno run -P=test scripts/protocol-golden.ts           lists the cases that are missing
 *   deno run -P=test scripts/protocol-golden.ts --write   writes them
 */
import { GOLDEN, type GoldenCase } from "../tests/unit/core/protocol/_helpers.ts";
import { MISSING_DIR, missingFieldCases } from "../tests/unit/core/protocol/_missing.ts";

Deno.env.delete("RUST_BACKTRACE");

const indexUrl = new URL("index.json", GOLDEN);
const index = JSON.parse(await Deno.readTextFile(indexUrl)) as { cases: GoldenCase[] };
const known = new Set(index.cases.map((c) => c.file));
const wanted = missingFieldCases(index.cases).filter((m) => !known.has(m.case.file));

if (Deno.args[0] !== "--write") {
  for (const m of wanted) console.log(`missing: ${m.case.file}`);
  console.log(`protocol-golden: ${wanted.length} cases to add (--write adds them)`);
  Deno.exit(0);
}
await Deno.mkdir(new URL(MISSING_DIR, GOLDEN), { recursive: true });
for (const m of wanted) await Deno.writeTextFile(new URL(m.case.file, GOLDEN), m.bytes);
index.cases.push(...wanted.map((m) => m.case));
await Deno.writeTextFile(indexUrl, `${JSON.stringify(index, null, 2)}\n`);
console.log(`protocol-golden: ${wanted.length} cases added to tests/golden/protocol`);
