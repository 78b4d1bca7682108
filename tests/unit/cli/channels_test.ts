/**
 * `kafclaw channels status --json` answers in the API's shape: snake_case keys (core/wire), read
 * from the status file a running gateway keeps, its last error included.
 */
import assert from "node:assert/strict";
import { statusFile } from "../../../channels/mod.ts";
import { kafclawInProcess } from "../../_support/cli_in_process.ts";

Deno.test("channels status --json prints snake_case keys, a channel's last error included", async () => {
  const home = await Deno.makeTempDir({ prefix: "kafclaw-channels-cli-" });
  try {
    await Deno.writeTextFile(
      `${home}/config.json`,
      JSON.stringify({ channels: { telegram: { enabled: true, botToken: "1:x" } } }),
    );
    await Deno.mkdir(`${home}/channels`);
    await Deno.writeTextFile(
      statusFile(home),
      JSON.stringify({
        updatedAt: new Date().toISOString(),
        pid: 1,
        channels: {
          telegram: {
            connected: false,
            lastError: "getUpdates: 401 Unauthorized",
            lastErrorAt: "2026-12-05T18:00:00.000Z",
          },
        },
      }),
    );
    const r = await kafclawInProcess({ KAFCLAW_HOME: home }, "channels", "status", "--json");
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.gateway_running, true);
    assert.deepEqual(json.channels.find((c: { channel: string }) => c.channel === "telegram"), {
      channel: "telegram",
      enabled: true,
      dm_policy: "pairing",
      connected: false,
      last_error: "getUpdates: 401 Unauthorized",
      last_error_at: "2026-12-05T18:00:00.000Z",
    });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
