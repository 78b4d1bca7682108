/**
 * README's configuration section says what the code does: each default in its table of variables
 * is the key's real default, and its invalid-config example is the error that file really gets.
 */
import assert from "node:assert/strict";
import { ConfigError, defaultText, KEYS, loadConfig } from "../../../../core/config/mod.ts";
import { tempHome, writeConfig } from "./_helpers.ts";

const README = await Deno.readTextFile(new URL("../../../../README.md", import.meta.url));

Deno.test("README's table of variables gives each key's real default", () => {
  const rows = [...README.matchAll(/^\| `(KAFCLAW_[A-Z_]+)`[^|]*\|[^|]*\|\s*(.*?)\s*\|$/gm)];
  assert.ok(rows.length >= 10, `the table was found (${rows.length} rows)`);
  for (const [, name, shown] of rows) {
    const spec = KEYS.byEnv.get(name!);
    assert.ok(spec, `${name} is a variable the configuration reads`);
    const real = defaultText(spec);
    assert.equal(shown!.replaceAll("`", ""), real === "-" ? "" : real, name);
  }
});

Deno.test("README's invalid agents.list example is the error that config.json gets", async () => {
  const example =
    /With this `config\.json`,\s*(?:<!--[^>]*-->\s*)?```json\n([\s\S]*?)```[\s\S]*?\nkafclaw: (Invalid config: [^\n]*)…\n/
      .exec(README);
  assert.ok(example, "the example was found");
  await using home = await tempHome();
  await writeConfig(home.path, example[1]!);
  const error = await loadConfig({ env: { KAFCLAW_HOME: home.path } }).then(() => null, (e) => e);
  assert.ok(error instanceof ConfigError, String(error));
  const said = example[2]!.replaceAll("/home/you/.kafclaw", home.path);
  assert.ok(error.message.startsWith(said), `${error.message}\ndoes not start with\n${said}`);
});
