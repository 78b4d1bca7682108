/**
 * `kafclaw gateway` processes on the real broker, each with its own KAFCLAW_HOME and its own fake
 * LLM, configured by the environment alone: they form a group, a task submitted from outside is
 * answered by exactly one of them, and SIGTERM makes one leave within the bound (the roster of the
 * others shows it gone at once). In a signed group the newcomers get their certificates from the
 * owner's gateway, which sponsors them, and a task signed by an admitted agent is answered once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RecordSigner } from "../../../../core/group/mod.ts";
import {
  exportPublicKey,
  generateKeyPair,
  topicsFor,
  workersConsumerGroup,
} from "../../../../core/protocol/mod.ts";
import { jsonOf, kafclaw } from "../../../_support/cli.ts";
import { gateway, rosterOf, tails, taskReader } from "../../../_support/gateway_group.ts";
import { requestRecord } from "../../../_support/group_worker.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "gateway processes form a group by env alone; a task is answered by exactly one, and SIGTERM leaves within the bound",
  opts,
  async () => {
    const group = uniqueName("gw").replaceAll("-", "");
    await using ann = await gateway(group, "ann", { KAFCLAW_GROUP_SECURITY: "open" });
    await using ben = await gateway(group, "ben", { KAFCLAW_GROUP_SECURITY: "open" });
    await using cy = await gateway(group, "cy", { KAFCLAW_GROUP_SECURITY: "open" });
    const made = await kafclaw(["group", "init", "--json"], ann.env);
    assert.equal(made.code, 0, made.stderr);
    await ann.start();
    await ben.start();
    await cy.start();
    assert.match(ben.child!.stderr, /WARNING: group .* runs in open mode/);
    // Ben and cy joining the workers' group is a new generation of it, which ann rejoins and says.
    await waitFor(
      () =>
        ann.child!.stdout.includes(
          `{"event":"rebalanced","group_id":"${workersConsumerGroup(group)}"`,
        ),
      "ann to say the workers' group rebalanced",
      { timeoutMs: 30_000, state: () => tails([ann, ben, cy]) },
    );
    await waitFor(
      async () => (await rosterOf(ann.env)).join() === "ann:active,ben:active,cy:active",
      "ann's gateway to see ben and cy",
      { timeoutMs: 30_000, intervalMs: 200, state: () => tails([ann, ben, cy]) },
    );
    // A task from outside the group, as a foreign agent writes it (arbiter "none").
    {
      await using reader = await taskReader(group);
      await reader.transport.produce([
        requestRecord(topicsFor(group).requests, {
          id: "task-one",
          content: "Say hello",
          from: "sh-agent",
        }),
      ]);
      await waitFor(() => reader.responses().length > 0, "the response", {
        timeoutMs: 60_000,
        state: () => ({ seen: reader.seen, gateways: tails([ann, ben, cy]) }),
      });
      const [response] = reader.responses();
      assert.equal(response!.correlation_id, "task-one");
      const responder = response!.sender_id;
      assert.ok(["ann", "ben", "cy"].includes(responder), responder);
      assert.deepEqual(response!.payload, {
        ...response!.payload,
        status: "completed",
        content: `answered by ${responder}`,
      });
      // Exactly one worker claimed it and answered; the other LLMs never saw it.
      const asked = [ann, ben, cy].filter((g) =>
        g.llm.chatRequests().some((r) => JSON.stringify(r.body).includes("Say hello"))
      );
      assert.deepEqual(asked.map((g) => g.id), [responder]);
      assert.deepEqual(reader.claims().map((e) => e.sender_id), [responder]);
      // Later reads bring no second answer.
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal(reader.responses().length, 1);
    }
    // SIGTERM: ben leaves within the bound, exits 0, and the others' roster shows him gone.
    const started = Date.now();
    assert.equal(await ben.child!.stop("SIGTERM"), 0, ben.child!.stderr);
    const took = Date.now() - started;
    assert.ok(took < 12_000, `ben took ${took} ms to stop`);
    const stopped = jsonOf(ben.child!, { line: "last", what: "ben's gateway" });
    assert.deepEqual(
      [stopped.event, stopped.signal, stopped.late, stopped.untold],
      ["stopped", "SIGTERM", [], []],
    );
    await waitFor(
      async () => (await rosterOf(cy.env)).join() === "ann:active,cy:active",
      "ben gone from cy's roster",
      { timeoutMs: 15_000, intervalMs: 200, state: () => tails([ann, cy]) },
    );
    assert.equal(await ann.child!.stop("SIGINT"), 0, ann.child!.stderr);
    assert.equal(await cy.child!.stop("SIGTERM"), 0, cy.child!.stderr);
  },
);

Deno.test(
  "in a signed group, newcomers' gateways get certificates from the owner's gateway, and a signed task is answered by exactly one",
  opts,
  async () => {
    const group = uniqueName("gws").replaceAll("-", "");
    await using boss = await gateway(group, "boss");
    const made = await kafclaw(["group", "init", "--json"], boss.env);
    assert.equal(made.code, 0, made.stderr);
    const ownerKey = jsonOf(made).owner_public_key as string;
    const pinned = { KAFCLAW_GROUP_OWNER_PUBLIC_KEY: ownerKey };
    await using alice = await gateway(group, "alice", pinned);
    await using bob = await gateway(group, "bob", pinned);
    await boss.start();
    assert.match(boss.child!.stdout, /"sponsoring":true/);
    await alice.start();
    await bob.start();
    // Each newcomer asked the sponsor for its certificate and kept it, 0600.
    for (const home of [alice.home, bob.home]) {
      const cert = await Deno.stat(join(home, "identity", "agent.cert.json"));
      assert.equal(cert.mode! & 0o777, 0o600);
    }
    let last: string[] = [];
    await waitFor(
      async () =>
        (last = await rosterOf(boss.env)).join() === "alice:active,bob:active,boss:active",
      "boss's gateway to see alice and bob",
      {
        timeoutMs: 30_000,
        intervalMs: 200,
        state: () => ({ last, gateways: tails([boss, alice, bob]) }),
      },
    );
    // A requester the owner admitted signs its task; the gateways check it against the roster.
    const keys = await generateKeyPair();
    const admitted = await kafclaw(
      ["group", "admit", "tester", "--public-key", await exportPublicKey(keys.publicKey), "--json"],
      boss.env,
    );
    assert.equal(admitted.code, 0, admitted.stderr);
    const certificate = jsonOf(admitted).certificate;
    const signer = new RecordSigner({ keyId: "tester", privateKey: keys.privateKey, certificate });
    await using reader = await taskReader(group);
    const request = requestRecord(topicsFor(group).requests, {
      id: "task-signed",
      content: "Sign here",
      from: "tester",
    });
    await reader.transport.produce(await signer.sign([request]));
    await waitFor(() => reader.responses().length > 0, "the response", {
      timeoutMs: 60_000,
      state: () => ({ seen: reader.seen, gateways: tails([boss, alice, bob]) }),
    });
    const [response] = reader.responses();
    const responder = response!.sender_id;
    assert.equal(response!.correlation_id, "task-signed");
    assert.equal(
      (response!.payload as { content: string }).content,
      `answered by ${responder}`,
    );
    assert.deepEqual(reader.claims().map((e) => e.sender_id), [responder]);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(reader.responses().length, 1);
    for (const g of [alice, bob, boss]) {
      assert.equal(await g.child!.stop("SIGTERM"), 0, g.child!.stderr);
    }
  },
);
