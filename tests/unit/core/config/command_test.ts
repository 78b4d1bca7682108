import assert from "node:assert/strict";
import {
  commandName,
  ConfigKeyError,
  resolveConfig,
  resolveMode,
  setConfigValue,
} from "../../../../core/config/mod.ts";
import { tempHome } from "./_helpers.ts";

const SPACED = "/home/a b/kafclaw/scripts/kafclaw";

Deno.test("the configuration resolves the name hints start with from KAFCLAW_COMMAND", () => {
  assert.equal(resolveConfig({ home: "/h", env: {} }).command, "kafclaw");
  assert.equal(
    resolveConfig({ home: "/h", env: { KAFCLAW_COMMAND: "scripts/kafclaw" } }).command,
    "scripts/kafclaw",
  );
  assert.equal(
    resolveConfig({ home: "/h", env: { KAFCLAW_COMMAND: SPACED } }).command,
    `'${SPACED}'`,
  );
  assert.equal(commandName({ KAFCLAW_COMMAND: SPACED }), `'${SPACED}'`);
});

Deno.test("a mode's config error suggests the command by the name the user ran", () => {
  const config = resolveConfig({
    home: "/h",
    env: { KAFCLAW_COMMAND: "scripts/kafclaw", KAFCLAW_GROUP_ENABLED: "true" },
  });
  const result = resolveMode(config);
  assert.equal(result.ok, false);
  assert.ok(
    !result.ok && result.error.endsWith(
      "set KAFCLAW_GROUP_KAFKA_BROKERS or run scripts/kafclaw config set group.kafkaBrokers host:9092",
    ),
    JSON.stringify(result),
  );
  const headless = resolveMode(resolveConfig({
    home: "/h",
    env: { KAFCLAW_COMMAND: SPACED, KAFCLAW_GATEWAY_HOST: "0.0.0.0" },
  }));
  assert.ok(
    !headless.ok && headless.error.includes(`run '${SPACED}' config set gateway.authToken`),
  );
});

Deno.test("config set's errors suggest the command by the name it is given", async () => {
  await using home = await tempHome();
  const command = `'${SPACED}'`;
  await assert.rejects(
    () => setConfigValue(home.path, { path: "gateway.nope", value: "1" }, { command }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigKeyError);
      assert.equal(
        error.message,
        `Unknown config key "gateway.nope" (run '${SPACED}' config env to list the keys)`,
      );
      return true;
    },
  );
  await assert.rejects(
    () => setConfigValue(home.path, { path: "policy.prices.x", value: "1" }, { command }),
    (error: unknown) =>
      error instanceof ConfigKeyError &&
      error.message.includes(`e.g. '${SPACED}' config set policy.prices '{…}'`),
  );
});
