/**
 * `kafclaw gateway` with Discord enabled, as a user runs it under the gateway's permission set
 * (standalone, and headless with its network narrowed to the hosts config names):
 * discord.js connects to the (fake) gateway websocket, the owner's DM is answered,
 * `kafclaw channels status` shows the channel connected while it runs and not connected once it
 * stopped, and the token never reaches the logs.
 */
import assert from "node:assert/strict";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import { startFakeDiscord } from "../fakes/discord_server.ts";
import { Child } from "../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand, tempHome } from "../_support/cli.ts";
import { gatewayEnv } from "../_support/gateway_env.ts";
import { waitFor } from "../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const OWNER = "800000000000000001";

for (const mode of ["standalone", "headless"]) {
  Deno.test(
    `a ${mode} gateway answers a Discord DM and channels status shows it connected`,
    opts,
    () => answersADm(mode),
  );
}

async function answersADm(mode: string): Promise<void> {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ fallback: { text: "Hello from the gateway." } });
  await using discord = await startFakeDiscord();
  const env = gatewayEnv(home.path, llm, {
    KAFCLAW_POLICY_OWNERS: `discord:${OWNER}`,
    KAFCLAW_CHANNELS_DISCORD_ENABLED: "true",
    KAFCLAW_CHANNELS_DISCORD_TOKEN: discord.token,
    KAFCLAW_CHANNELS_DISCORD_API_BASE: `${discord.url}/api/v10`,
    // Headless needs it; its network is then narrowed to the fake's REST and websocket address.
    KAFCLAW_GATEWAY_AUTH_TOKEN: "discord-e2e-token-0123456789abcdefghij",
    // Headless would listen on every interface; the tests bind loopback alone.
    KAFCLAW_GATEWAY_HOST: "127.0.0.1",
  });

  await using gateway = new Child(kafclawCommand(["gateway", "--mode", mode, "--json"], env));
  await gateway.until(/"event":"started"/);
  await waitFor(() => discord.connected() === 1, "the gateway websocket");
  const id = discord.pushMessage(OWNER, "hi");
  await waitFor(() => discord.sent.length === 1, "the answer", { state: () => gateway.stderr });
  assert.deepEqual(discord.sent[0], {
    channelId: discord.dmChannelOf(OWNER),
    content: "Hello from the gateway.",
    replyTo: id,
  });

  const running = await kafclaw(["channels", "status", "--json"], env);
  assert.equal(running.code, 0, running.stderr);
  const status = jsonOf(running, { what: "channels status" });
  assert.equal(status.gateway_running, true);
  const entry = status.channels.find((c: { channel: string }) => c.channel === "discord");
  assert.deepEqual(entry, {
    channel: "discord",
    enabled: true,
    dm_policy: "pairing",
    connected: true,
  });

  assert.equal(await gateway.stop("SIGTERM"), 0, gateway.stderr);
  const after = await kafclaw(["channels", "status"], env);
  assert.match(after.stdout, /^discord {2}not connected {2}dmPolicy pairing$/m);
  assert.ok(!gateway.stderr.includes(discord.token), "the token never reaches the logs");
}

Deno.test("a gateway with Discord enabled and no token is refused in one line", async () => {
  await using home = await tempHome();
  const r = await kafclaw(["gateway"], {
    KAFCLAW_HOME: home.path,
    KAFCLAW_MODEL: "openai/gpt-test",
    OPENAI_API_KEY: "sk-test",
    KAFCLAW_CHANNELS_DISCORD_ENABLED: "true",
  });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr.trim(),
    "kafclaw: Cannot run Discord without channels.discord.token (the bot token from the " +
      "Developer Portal)",
  );
});
