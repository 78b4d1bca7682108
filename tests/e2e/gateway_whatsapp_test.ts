/**
 * `kafclaw gateway` with WhatsApp enabled, as a user runs it: Meta's signed notification reaches
 * the gateway's WhatsApp webhook, the answer goes out through the (fake) Graph API, `kafclaw
 * channels status` shows the webhook listening, and a gateway missing a WhatsApp key is refused
 * in one line.
 */
import assert from "node:assert/strict";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import {
  APP_SECRET,
  notification,
  startFakeWhatsApp,
  textMessage,
  VERIFY_TOKEN,
} from "../fakes/whatsapp_server.ts";
import { OWNER, whatsappSettings } from "../_support/whatsapp_rig.ts";
import { Child } from "../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand, tempHome } from "../_support/cli.ts";
import { gatewayEnv } from "../_support/gateway_env.ts";
import { waitFor } from "../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("a gateway answers on WhatsApp and channels status shows its webhook", opts, async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ fallback: { text: "Hello from the gateway." } });
  await using whatsapp = await startFakeWhatsApp();
  const env = gatewayEnv(home.path, llm, {
    KAFCLAW_POLICY_OWNERS: `whatsapp:${OWNER}`,
    ...whatsappSettings(whatsapp),
  });
  await using gateway = new Child(kafclawCommand(["gateway", "--json"], env));
  await gateway.until(/"event":"started"/);
  const running = await kafclaw(["channels", "status", "--json"], env);
  assert.equal(running.code, 0, running.stderr);
  const rows: { channel: string; connected: boolean; listening: string }[] =
    jsonOf(running, { what: "channels status" }).channels;
  const row = rows.find((r) => r.channel === "whatsapp")!;
  assert.equal(row.connected, true);
  assert.match(row.listening, /^127\.0\.0\.1:\d+$/);

  const webhook = `http://${row.listening}/whatsapp/webhook`;
  const response = await whatsapp.deliver(webhook, notification([textMessage(OWNER, "hi")]));
  assert.equal(response.status, 200);
  await response.body?.cancel();
  await waitFor(() => whatsapp.sent.length === 1, "the answer", { state: () => gateway.stderr });
  assert.equal(whatsapp.sent[0]!.text, "Hello from the gateway.");
  assert.equal(await gateway.stop("SIGTERM"), 0, gateway.stderr);
  for (const secret of [whatsapp.accessToken, APP_SECRET, VERIFY_TOKEN]) {
    assert.ok(!gateway.stderr.includes(secret), "no secret reaches the logs");
  }
});

Deno.test("a gateway with WhatsApp enabled and no app secret is refused in one line", async () => {
  await using home = await tempHome();
  const r = await kafclaw(["gateway"], {
    KAFCLAW_HOME: home.path,
    KAFCLAW_MODEL: "openai/gpt-test",
    OPENAI_API_KEY: "sk-test",
    KAFCLAW_CHANNELS_WHATSAPP_ENABLED: "true",
    KAFCLAW_CHANNELS_WHATSAPP_ACCESS_TOKEN: "EAAG-token",
    KAFCLAW_CHANNELS_WHATSAPP_VERIFY_TOKEN: "verify",
    KAFCLAW_CHANNELS_WHATSAPP_PHONE_NUMBER_ID: "1065",
  });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr.trim(),
    "kafclaw: Cannot run WhatsApp without channels.whatsapp.appSecret (the app's secret, " +
      "which checks that webhook calls come from Meta)",
  );
  assert.ok(!r.stderr.includes("EAAG-token"));
});

Deno.test("config show masks WhatsApp's access token, app secret and verify token", async () => {
  await using home = await tempHome();
  const r = await kafclaw(["config", "show", "--json"], {
    KAFCLAW_HOME: home.path,
    KAFCLAW_CHANNELS_WHATSAPP_ACCESS_TOKEN: "EAAG-secret-token",
    KAFCLAW_CHANNELS_WHATSAPP_APP_SECRET: "app-secret-xyz",
    KAFCLAW_CHANNELS_WHATSAPP_VERIFY_TOKEN: "verify-xyz",
  });
  assert.equal(r.code, 0, r.stderr);
  for (const secret of ["EAAG-secret-token", "app-secret-xyz", "verify-xyz"]) {
    assert.ok(!r.stdout.includes(secret), `${secret} shown`);
  }
  const whatsapp = jsonOf(r, { what: "config show" }).values.channels.whatsapp;
  assert.deepEqual(
    [whatsapp.accessToken, whatsapp.appSecret, whatsapp.verifyToken],
    ["****", "****", "****"],
  );
});
