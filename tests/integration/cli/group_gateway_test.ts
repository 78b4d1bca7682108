/**
 * `kafclaw group leave` and `group join` beside a running `kafclaw gateway` of the same home, on
 * the real broker: two gateways of an open group, ann and ben. While ann's gateway is a member,
 * `group join` in her home refuses to start a second "ann"; `group leave` takes the gateway itself
 * out (its status says `left`, its heartbeats stop, ben's roster loses her) and turns the group off
 * in config; `group join` brings the gateway back (ben's roster shows her active again). A token
 * the gateway refuses fails the command and sends nothing; once the gateway is gone (killed, its
 * run file left behind) `group leave` goes to the group directly again, as it does beside a
 * standalone gateway, which is no member. In a signed group the owner's gateway does the same.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readRunFile } from "../../../web/mod.ts";
import { Child } from "../../_support/child.ts";
import { jsonOf, kafclaw, kafclawCommand } from "../../_support/cli.ts";
import { gateway, rosterOf, tails, taskReader } from "../../_support/gateway_group.ts";
import { openGroup } from "../../_support/open_group.ts";
import { uniqueName, waitFor } from "../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "group leave and join act through the running gateway of the home, and refuse a second member",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const { group, members: [ann, ben] } = await openGroup("cligw", stack, [["ann"], ["ben"]]);
    await using reader = await taskReader(group);
    const { pid, port } = (await readRunFile(ann.home))!;
    const state = () => ({ roster: seen, ...tails([ann, ben]) });
    let seen: string[] = [];
    const onBensRoster = (want: (roster: string[]) => boolean, what: string) =>
      waitFor(async () => want(seen = await rosterOf(ben.env)), what, { state, timeoutMs: 60_000 });
    await onBensRoster(
      (r) => r.includes("ann:active") && r.includes("ben:active"),
      "ann and ben active on ben's roster",
    );
    const health = async () => {
      const out = await kafclaw(["status", "--json"], ann.env);
      assert.equal(out.code, 0, out.stderr);
      return jsonOf(out).group.health as string;
    };
    const annEnabled = async () =>
      JSON.parse(await Deno.readTextFile(join(ann.home, "config.json"))).group.enabled;

    // A second member with ann's id beside her gateway: refused, naming the gateway.
    const second = await kafclaw(["group", "join", "--json"], ann.env);
    assert.equal(second.code, 2, second.stdout);
    assert.equal(second.stderr.trim().split("\n").length, 1, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(
        `"ann" is a member of group "${group}" already, through this home's gateway ` +
          `\\(pid ${pid}, port ${port}\\): a second member`,
      ),
    );
    const other = await kafclaw(["group", "join", "--agent-id", "ann2"], ann.env);
    assert.equal(other.code, 2, other.stdout);
    assert.match(other.stderr, /runs as "ann" .* so "ann2" cannot join from this home beside it/);

    // A token the gateway refuses: the command fails, and leaves nothing behind it.
    const wrong = await kafclaw(["group", "leave"], {
      ...ann.env,
      KAFCLAW_GATEWAY_AUTH_TOKEN: "not-the-gateway-token-at-all-0123456789",
    });
    assert.equal(wrong.code, 1, wrong.stdout);
    assert.match(wrong.stderr, /refused this home's token/);
    assert.equal(await health(), "ok");

    // Leave: the gateway leaves, and the group is off in config.
    const left = await kafclaw(["group", "leave", "--json"], ann.env);
    assert.equal(left.code, 0, left.stderr);
    const leftAt = Date.now();
    assert.equal(await health(), "left");
    assert.deepEqual(jsonOf(left), {
      group,
      agent_id: "ann",
      left: true,
      told: true,
      via: "gateway",
      gateway: { pid, port },
    });
    assert.equal(await annEnabled(), false);
    await onBensRoster((r) => !r.some((m) => m.startsWith("ann:")), "ann off ben's roster");
    // Two of ben's heartbeats later, none of ann's came after her leave.
    await waitFor(
      () => reader.heartbeats("ben", leftAt).length >= 2,
      "two heartbeats of ben after ann left",
      { state, timeoutMs: 30_000 },
    );
    assert.deepEqual(reader.heartbeats("ann", leftAt), []);
    assert.match(
      (await kafclaw(["status"], ann.env)).stdout,
      new RegExp(`^group +${group}: left`, "m"),
    );
    const again = await kafclaw(["group", "leave"], ann.env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`^"ann" was out of group "${group}" through`));

    // Join: the gateway joins again, and the group is on in config.
    const joined = await kafclaw(["group", "join", "--json"], ann.env);
    assert.equal(joined.code, 0, joined.stderr);
    assert.deepEqual(jsonOf(joined), {
      group,
      agent_id: "ann",
      joined: true,
      via: "gateway",
      gateway: { pid, port },
    });
    assert.equal(await annEnabled(), true);
    await onBensRoster((r) => r.includes("ann:active"), "ann active on ben's roster again");
    await waitFor(async () => await health() === "ok", "ann's gateway healthy in the group", {
      state,
      timeoutMs: 60_000,
    });

    // A gateway killed leaves its run file; nothing answers there, so leave goes to Kafka.
    await ann.child!.stop("SIGKILL");
    const direct = await kafclaw(["group", "leave", "--json"], ann.env);
    assert.equal(direct.code, 0, direct.stderr);
    assert.deepEqual(jsonOf(direct), { group, agent_id: "ann", left: true, via: "kafka" });
  },
);

Deno.test(
  "group leave beside a standalone gateway of the home goes to the group directly",
  opts,
  async () => {
    const group = uniqueName("cligws").replaceAll("-", "");
    await using cy = await gateway(group, "cy", { KAFCLAW_GROUP_SECURITY: "open" });
    const made = await kafclaw(["group", "init", "--json"], cy.env);
    assert.equal(made.code, 0, made.stderr);
    await using child = new Child(
      kafclawCommand(["gateway", "--mode", "standalone", "--json"], cy.env),
    );
    await child.until(/"event":"started"/);
    assert.notEqual(await readRunFile(cy.home), undefined);
    const left = await kafclaw(["group", "leave", "--json"], cy.env);
    assert.equal(left.code, 0, left.stderr);
    assert.deepEqual(jsonOf(left), { group, agent_id: "cy", left: true, via: "kafka" });
  },
);

Deno.test(
  "in a signed group the owner's gateway leaves and joins again through group leave and join",
  opts,
  async () => {
    const group = uniqueName("cligwsig").replaceAll("-", "");
    await using ann = await gateway(group, "ann");
    const made = await kafclaw(["group", "init", "--json"], ann.env);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(jsonOf(made).security, "signed");
    await ann.start();
    const health = async () => jsonOf(await kafclaw(["status", "--json"], ann.env)).group.health;
    const healthy = (what: string) =>
      waitFor(async () => await health() === "ok", what, {
        state: () => tails([ann]),
        timeoutMs: 60_000,
      });
    await healthy("ann's signed heartbeats back through the broker");
    const second = await kafclaw(["group", "join"], ann.env);
    assert.equal(second.code, 2, second.stdout);
    assert.match(second.stderr, /is a member of group .* already, through this home's gateway/);

    const left = await kafclaw(["group", "leave", "--json"], ann.env);
    assert.equal(left.code, 0, left.stderr);
    assert.equal(await health(), "left");
    assert.equal(jsonOf(left).via, "gateway");
    const joined = await kafclaw(["group", "join", "--json"], ann.env);
    assert.equal(joined.code, 0, joined.stderr);
    assert.equal(jsonOf(joined).via, "gateway");
    await healthy("ann's signed heartbeats back after the join");
  },
);
