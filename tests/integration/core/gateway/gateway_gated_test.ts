/**
 * `kafclaw gateway` processes join a gated group with the owner's invite from the environment
 * (KAFCLAW_GROUP_INVITE) or from a file (KAFCLAW_GROUP_INVITE_FILE), as `group join --invite`
 * does; a gateway without an invite, or with one already used, is refused and says why.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Child } from "../../../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand } from "../../../_support/cli.ts";
import { gateway, rosterOf } from "../../../_support/gateway_group.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "gateways join a gated group with an invite from env or file; none or a used one is refused",
  opts,
  async () => {
    const group = uniqueName("gwg").replaceAll("-", "");
    await using boss = await gateway(group, "boss");
    const made = await kafclaw(["group", "init", "--gated", "--json"], boss.env);
    assert.equal(made.code, 0, made.stderr);
    const ownerKey = jsonOf(made).owner_public_key as string;
    await boss.start();
    assert.match(boss.child!.stdout, /"sponsoring":true/);
    const invite = async () => {
      const out = await kafclaw(["group", "invite", "--json"], boss.env);
      assert.equal(out.code, 0, out.stderr);
      return jsonOf(out).invite as string;
    };
    const pinned = { KAFCLAW_GROUP_OWNER_PUBLIC_KEY: ownerKey };
    const first = await invite();
    await using alice = await gateway(group, "alice", { ...pinned, KAFCLAW_GROUP_INVITE: first });
    await alice.start();
    const second = await invite();
    // A relative file name is read in KAFCLAW_HOME (the only place the gateway may read).
    await using bob = await gateway(group, "bob", {
      ...pinned,
      KAFCLAW_GROUP_INVITE_FILE: "invite",
    });
    await Deno.writeTextFile(join(bob.home, "invite"), `${second}\n`, { mode: 0o600 });
    await bob.start();
    for (const home of [alice.home, bob.home]) {
      const cert = await Deno.stat(join(home, "identity", "agent.cert.json"));
      assert.equal(cert.mode! & 0o777, 0o600);
    }
    await waitFor(
      async () => (await rosterOf(boss.env)).join() === "alice:active,bob:active,boss:active",
      "boss's gateway to see alice and bob",
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    // No invite, and alice's used one: both refused, in one line, with no certificate kept.
    await using cy = await gateway(group, "cy", pinned);
    await using dee = await gateway(group, "dee", { ...pinned, KAFCLAW_GROUP_INVITE: first });
    for (
      const [who, reason] of [[cy, /is gated: .* set group.invite/], [
        dee,
        /refused to admit "dee"/,
      ]] as const
    ) {
      await using child = new Child(kafclawCommand(["gateway", "--json"], who.env));
      const code = await child.exit();
      assert.notEqual(code, 0, child.stdout);
      assert.match(child.stderr, reason);
      assert.doesNotMatch(child.stderr, /^\s+at /m);
      assert.doesNotMatch(child.stderr + child.stdout, new RegExp(first));
      await assert.rejects(Deno.stat(join(who.home, "identity", "agent.cert.json")));
    }
    for (const g of [alice, bob, boss]) {
      assert.equal(await g.child!.stop("SIGTERM"), 0, g.child!.stderr);
    }
  },
);
