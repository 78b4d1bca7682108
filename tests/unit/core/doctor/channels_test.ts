/** doctor's lines about chat channels: none when none is enabled; Telegram checked against the Bot API. */
import assert from "node:assert/strict";
import { resolveConfig } from "../../../../core/config/mod.ts";
import { channelChecks } from "../../../../core/doctor/channels.ts";
import { startFakeTelegram } from "../../../fakes/telegram_server.ts";
import { startFakeDiscord } from "../../../fakes/discord_server.ts";

const config = (env: Record<string, string>) => resolveConfig({ home: "/tmp/kafclaw-x", env });

Deno.test("no channel enabled is no line at all", async () => {
  assert.deepEqual(await channelChecks(config({}), { offline: false }), []);
});

Deno.test("a Telegram token the Bot API accepts is ok; a refused one fails without showing it", async () => {
  await using telegram = await startFakeTelegram();
  const env = {
    KAFCLAW_CHANNELS_TELEGRAM_ENABLED: "true",
    KAFCLAW_CHANNELS_TELEGRAM_TOKEN: telegram.token,
    KAFCLAW_CHANNELS_TELEGRAM_API_BASE: telegram.url,
    KAFCLAW_POLICY_OWNERS: "telegram:1001",
  };
  assert.deepEqual(await channelChecks(config(env), { offline: false }), [{
    check: "channels",
    status: "ok",
    detail: `telegram: the bot @kafclaw_test_bot answers at ${telegram.url}`,
  }]);
  const wrong = "1:WRONG-token";
  const refused = await channelChecks(
    config({ ...env, KAFCLAW_CHANNELS_TELEGRAM_TOKEN: wrong }),
    { offline: false },
  );
  assert.equal(refused.length, 1);
  assert.equal(refused[0]!.status, "fail");
  assert.equal(refused[0]!.detail, "telegram refuses the bot token: HTTP 401 Unauthorized");
  assert.ok(!JSON.stringify(refused).includes(wrong));
  const offline = await channelChecks(config(env), { offline: true });
  assert.deepEqual(offline.map((r) => r.status), ["skip"]);
});

Deno.test("Telegram's missing token, webhook secret and owner are named with the fix", async () => {
  const none = await channelChecks(
    config({ KAFCLAW_CHANNELS_TELEGRAM_ENABLED: "true" }),
    { offline: true },
  );
  assert.deepEqual(none.map((r) => r.status), ["fail"]);
  assert.match(none[0]!.detail, /without channels\.telegram\.token/);
  assert.match(none[0]!.hint!, /config set channels\.telegram\.token/);
  const webhook = await channelChecks(
    config({
      KAFCLAW_CHANNELS_TELEGRAM_ENABLED: "true",
      KAFCLAW_CHANNELS_TELEGRAM_TOKEN: "1:x",
      KAFCLAW_CHANNELS_TELEGRAM_MODE: "webhook",
      KAFCLAW_CHANNELS_TELEGRAM_DM_POLICY: "open",
    }),
    { offline: true },
  );
  assert.deepEqual(webhook.map((r) => r.status), ["fail", "warn", "warn", "warn", "skip"]);
  assert.match(webhook[0]!.detail, /needs channels\.telegram\.webhookSecret/);
  assert.match(webhook[1]!.detail, /without channels\.telegram\.webhookUrl/);
  assert.match(webhook[2]!.detail, /no owner on telegram in policy\.owners/);
  assert.match(webhook[3]!.detail, /dmPolicy is open/);
});

Deno.test("a Telegram webhook secret short enough to guess fails, without showing it", async () => {
  const results = await channelChecks(
    config({
      KAFCLAW_CHANNELS_TELEGRAM_ENABLED: "true",
      KAFCLAW_CHANNELS_TELEGRAM_TOKEN: "1:x",
      KAFCLAW_CHANNELS_TELEGRAM_MODE: "webhook",
      KAFCLAW_CHANNELS_TELEGRAM_WEBHOOK_SECRET: "hunter2",
      KAFCLAW_CHANNELS_TELEGRAM_WEBHOOK_URL: "https://bot.example.com/telegram",
      KAFCLAW_POLICY_OWNERS: "telegram:1001",
    }),
    { offline: true },
  );
  const failed = results.filter((r) => r.status === "fail");
  assert.equal(failed.length, 1, JSON.stringify(results));
  assert.match(failed[0]!.detail, /webhookSecret has 7 characters and needs at least 16/);
  assert.match(failed[0]!.hint!, /config set channels\.telegram\.webhookSecret/);
  assert.ok(!JSON.stringify(results).includes("hunter2"));
});

Deno.test("a Discord token the REST API accepts is ok; a refused or missing one fails without showing it", async () => {
  await using discord = await startFakeDiscord();
  const env = {
    KAFCLAW_CHANNELS_DISCORD_ENABLED: "true",
    KAFCLAW_CHANNELS_DISCORD_TOKEN: discord.token,
    KAFCLAW_CHANNELS_DISCORD_API_BASE: `${discord.url}/api/v10`,
    KAFCLAW_POLICY_OWNERS: "discord:800000000000000001",
  };
  assert.deepEqual(await channelChecks(config(env), { offline: false }), [{
    check: "channels",
    status: "ok",
    detail: `discord: the bot kafclaw answers at ${discord.url}/api/v10`,
  }]);
  const wrong = "WRONG-discord-token";
  const refused = await channelChecks(
    config({ ...env, KAFCLAW_CHANNELS_DISCORD_TOKEN: wrong, KAFCLAW_POLICY_OWNERS: "" }),
    { offline: false },
  );
  assert.deepEqual(refused.map((r) => r.status), ["warn", "fail"]);
  assert.match(refused[0]!.detail, /no owner on discord in policy\.owners/);
  assert.equal(refused[1]!.detail, "discord refuses the bot token: HTTP 401 401: Unauthorized");
  assert.ok(!JSON.stringify(refused).includes(wrong));
  const none = await channelChecks(
    config({ KAFCLAW_CHANNELS_DISCORD_ENABLED: "true" }),
    { offline: true },
  );
  assert.deepEqual(none.map((r) => r.status), ["fail"]);
  assert.match(none[0]!.hint!, /config set channels\.discord\.token/);
});
