/**
 * `kafclaw pairing list|approve|deny` for every chat channel a code can be given on, not Telegram
 * alone: the codes a gateway gave on Discord and WhatsApp are listed, approved and dropped through
 * the CLI, and a channel name the CLI does not know is refused with the names it knows.
 */
import assert from "node:assert/strict";
import { PairingStore } from "../../../channels/mod.ts";
import { kafclawInProcess } from "../../_support/cli_in_process.ts";

async function homeWithCodes() {
  const home = await Deno.makeTempDir({ prefix: "kafclaw-pairing-cli-" });
  const store = new PairingStore(home);
  const code = async (channel: string, sender: string) =>
    (await store.request(channel, sender))!.pending.code;
  return {
    home,
    store,
    env: { KAFCLAW_HOME: home },
    discord: await code("discord", "880011223344556677"),
    whatsapp: await code("whatsapp", "15550001111"),
    async [Symbol.asyncDispose]() {
      await Deno.remove(home, { recursive: true });
    },
  };
}

Deno.test("pairing list and approve work for Discord and WhatsApp codes", async () => {
  await using rig = await homeWithCodes();
  const listed = await kafclawInProcess(rig.env, "pairing", "list");
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(`discord  ${rig.discord}  from 880011223344556677`));
  assert.match(listed.stdout, new RegExp(`whatsapp  ${rig.whatsapp}  from 15550001111`));
  // --json: snake_case keys, as every --json prints them.
  const waiting = JSON.parse((await kafclawInProcess(rig.env, "pairing", "list", "--json")).stdout);
  const code = waiting.pending.find((p: { channel: string }) => p.channel === "discord");
  assert.deepEqual(Object.keys(code).sort(), [
    "channel",
    "code",
    "created_at",
    "expires_at",
    "sender",
  ]);

  // A code is approved on the channel it was given on only.
  const elsewhere = await kafclawInProcess(rig.env, "pairing", "approve", "telegram", rig.discord);
  assert.equal(elsewhere.code, 2);
  assert.match(
    elsewhere.stderr,
    new RegExp(`No pairing code "${rig.discord}" is waiting on telegram`),
  );

  const discord = await kafclawInProcess(rig.env, "pairing", "approve", "discord", rig.discord);
  assert.equal(discord.code, 0, discord.stderr);
  assert.match(discord.stdout, /^Paired discord:880011223344556677;/);
  assert.equal(await rig.store.isPaired("discord", "880011223344556677"), true);

  const lower = rig.whatsapp.toLowerCase();
  const whatsapp = await kafclawInProcess(rig.env, "pairing", "approve", "whatsapp", lower);
  assert.equal(whatsapp.code, 0, whatsapp.stderr);
  assert.equal(await rig.store.isPaired("whatsapp", "15550001111"), true);

  const json = await kafclawInProcess(rig.env, "pairing", "list", "--json");
  const state = JSON.parse(json.stdout);
  assert.deepEqual(state.pending, []);
  assert.deepEqual(
    state.paired.map((p: { channel: string; sender: string }) => `${p.channel}:${p.sender}`),
    ["discord:880011223344556677", "whatsapp:15550001111"],
  );
  assert.match(state.paired[0].approved_at, /^\d{4}-\d\d-\d\dT/);
});

Deno.test("pairing deny drops a WhatsApp code without letting its sender in", async () => {
  await using rig = await homeWithCodes();
  const denied = await kafclawInProcess(rig.env, "pairing", "deny", "whatsapp", rig.whatsapp);
  assert.equal(denied.code, 0, denied.stderr);
  assert.equal(denied.stdout, "Dropped the code of whatsapp:15550001111");
  assert.equal(await rig.store.isPaired("whatsapp", "15550001111"), false);
  const left = (await rig.store.read()).pending.map((p) => p.channel);
  assert.deepEqual(left, ["discord"]);
});

Deno.test("a channel name pairing does not know is refused in one line naming the channels", async () => {
  await using rig = await homeWithCodes();
  for (const verb of ["approve", "deny"]) {
    const typo = await kafclawInProcess(rig.env, "pairing", verb, "discrod", rig.discord);
    assert.equal(typo.code, 2, verb);
    assert.equal(
      typo.stderr,
      'kafclaw: Unknown channel "discrod": pairing codes are given on telegram, discord or whatsapp',
    );
  }
  assert.equal((await rig.store.read()).pending.length, 2, "nothing changed");
});

Deno.test("pairing's help names every chat channel a code can be given on", async () => {
  const help = await kafclawInProcess({}, "pairing", "approve", "--help");
  assert.equal(help.code, 0, help.stderr);
  const words = (text: string) => text.replaceAll(/\s+/g, " ");
  assert.match(
    words(help.stdout),
    /the channel the code was given on: telegram, discord or whatsapp/,
  );
  const top = await kafclawInProcess({}, "pairing", "--help");
  assert.match(words(top.stdout), /chat channels \(telegram, discord or whatsapp\)/);
});
