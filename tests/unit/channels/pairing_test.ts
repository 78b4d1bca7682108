/** Pairing codes: stored 0600, one per stranger, at most three waiting, an hour to live. */
import assert from "node:assert/strict";
import { CODE_ALPHABET, PairingError, PairingStore } from "../../../channels/mod.ts";

async function store(now: { t: number }) {
  const home = await Deno.makeTempDir({ prefix: "kafclaw-pairing-" });
  const pairing = new PairingStore(home, { now: () => new Date(now.t) });
  return Object.assign(pairing, {
    home,
    async [Symbol.asyncDispose]() {
      await Deno.remove(home, { recursive: true });
    },
  });
}

Deno.test("a stranger keeps one code; approving it pairs them; the file is 0600", async () => {
  const now = { t: Date.parse("2026-12-05T08:00:00Z") };
  await using pairing = await store(now);
  const asked = await pairing.request("telegram", "99");
  assert.equal(asked?.created, true);
  const first = asked!.pending;
  assert.match(first.code, new RegExp(`^[${CODE_ALPHABET}]{8}$`));
  assert.deepEqual(await pairing.request("telegram", "99"), { pending: first, created: false });
  assert.equal((await Deno.stat(pairing.path)).mode! & 0o777, 0o600);
  assert.equal(await pairing.isPaired("telegram", "99"), false);
  const paired = await pairing.approve("telegram", first.code.toLowerCase());
  assert.equal(paired.sender, "99");
  assert.equal(await pairing.isPaired("telegram", "99"), true);
  assert.equal(await pairing.isPaired("discord", "99"), false, "paired on one channel only");
  await assert.rejects(() => pairing.approve("telegram", first.code), PairingError);
});

Deno.test("at most three codes wait per channel, and a code expires after an hour", async () => {
  const now = { t: Date.parse("2026-12-05T08:00:00Z") };
  await using pairing = await store(now);
  for (const sender of ["1", "2", "3"]) assert.ok(await pairing.request("telegram", sender));
  assert.equal(await pairing.request("telegram", "4"), undefined);
  assert.ok(await pairing.request("discord", "4"), "another channel has its own room");
  const old = (await pairing.read()).pending[0]!;
  now.t += 60 * 60 * 1000 + 1;
  assert.deepEqual((await pairing.read()).pending, []);
  await assert.rejects(
    () => pairing.approve("telegram", old.code),
    /No pairing code "[A-Z0-9]{8}" is waiting on telegram \(codes expire after an hour/,
  );
  assert.ok(await pairing.request("telegram", "4"), "room again once they expired");
});

Deno.test("a denied code is gone and its sender not paired", async () => {
  const now = { t: Date.now() };
  await using pairing = await store(now);
  const code = (await pairing.request("telegram", "8"))!.pending.code;
  assert.equal((await pairing.deny("telegram", code)).sender, "8");
  assert.deepEqual(await pairing.read(), { pending: [], paired: [] });
});

Deno.test("a pairing file that is not JSON is a clear error, not a crash", async () => {
  await using pairing = await store({ t: Date.now() });
  await Deno.mkdir(`${pairing.home}/channels`, { recursive: true });
  await Deno.writeTextFile(pairing.path, "{not json");
  await assert.rejects(() => pairing.read(), /is not JSON \(remove it to start over\)/);
});

Deno.test("codes asked for at once, and an approval meanwhile, are all kept", async () => {
  await using pairing = await store({ t: Date.now() });
  const first = (await pairing.request("telegram", "1"))!.pending.code;
  // Two other stores on the same file: the gateway asking, the CLI approving.
  const other = new PairingStore(pairing.home);
  const cli = new PairingStore(pairing.home);
  await Promise.all([
    pairing.request("telegram", "2"),
    other.request("discord", "3"),
    cli.approve("telegram", first),
    other.request("telegram", "4"),
  ]);
  const state = await pairing.read();
  assert.deepEqual(state.pending.map((p) => `${p.channel}:${p.sender}`).sort(), [
    "discord:3",
    "telegram:2",
    "telegram:4",
  ]);
  assert.deepEqual(state.paired.map((p) => p.sender), ["1"]);
});
