/**
 * Prints, checks or writes the "permissions" object of deno.json from the table in
 * core/permissions. `--write` rewrites deno.json; `--check` exits 1 when deno.json differs.
 */
import { denoJsonPermissions, TEST_SET } from "../core/permissions/mod.ts";

const path = new URL("../deno.json", import.meta.url);
const config = JSON.parse(await Deno.readTextFile(path));
const wanted = { ...denoJsonPermissions(), test: TEST_SET };
const mode = Deno.args[0] ?? "--print";

if (mode === "--write") {
  config.permissions = wanted;
  await Deno.writeTextFile(path, JSON.stringify(config, null, 2) + "\n");
  console.log("deno.json: permissions written from core/permissions");
} else if (mode === "--check") {
  if (JSON.stringify(config.permissions) !== JSON.stringify(wanted)) {
    console.error(
      "deno.json: permissions differ from core/permissions; run `deno task permissions`",
    );
    Deno.exit(1);
  }
} else {
  console.log(JSON.stringify(wanted, null, 2));
}
