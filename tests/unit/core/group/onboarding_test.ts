/**
 * Onboarding through the shared sponsor group over the in-process transport: an open group
 * issues a certificate; a gated one only for an answer made with an unused invite, and tells the
 * group of each newcomer it refused on the audit topic.
 */
import assert from "node:assert/strict";
import {
  GroupAudit,
  inviteProof,
  Membership,
  OnboardRejected,
  requestMembership,
  revocationRecord,
  startSponsor,
} from "../../../../core/group/mod.ts";
import {
  importPublicKey,
  onboardKey,
  parseRecord,
  PROTOCOL_VERSION,
  topicsFor,
} from "../../../../core/protocol/mod.ts";
import type { Subscription } from "../../../../core/transport/mod.ts";
import { MemoryTransport } from "../../../../core/transport/mod.ts";
import {
  agentHome,
  identityOf,
  makeGroup,
  startMember,
  type TestGroup,
} from "../../../_support/group_member.ts";
import { waitFor } from "../../../_support/wait.ts";

async function withSponsor(
  mode: "open" | "gated",
  test: (
    g: TestGroup,
    transport: MemoryTransport,
    boss: Membership,
  ) => Promise<void>,
): Promise<void> {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, `o-${mode}`, { onboardMode: mode });
  await using _owner = g.owner;
  const boss = await startMember(transport, g, g.owner, g.init.certificate);
  let sponsor: Subscription | undefined;
  try {
    sponsor = await startSponsor({
      membership: boss,
      transport,
      ownerKey: g.ownerKey.privateKey,
      onboardMode: () => mode,
      invites: g.owner.timeline.invites,
      events: g.owner.timeline.events,
      // A gated group's sponsor tells the group whom it refused; an open one's has nobody to.
      ...(mode === "gated"
        ? {
          onRejected: new GroupAudit({ agentId: "boss", group: g.group, send: (r) => boss.send(r) })
            .rejected,
        }
        : {}),
    });
    await test(g, transport, boss);
  } finally {
    await sponsor?.close();
    await boss.leave();
  }
}

function rejections(g: TestGroup): string[] {
  return g.owner.timeline.events.list({ kind: "GROUP" }).items
    .filter((e) => e.metadata.event_type === "onboard_rejected")
    .map((e) => e.contentText).reverse();
}

Deno.test("in an open group a sponsor issues a newcomer a certificate it can join with", async () => {
  await withSponsor("open", async (g, transport, boss) => {
    await using bobHome = await agentHome("bob");
    const ownerKey = await importPublicKey(g.init.ownerPublicKey);
    const { certificate, manifest } = await requestMembership({
      transport,
      group: g.group,
      agentId: "bob",
      publicKey: bobHome.key.publicKeyText,
      ownerKey,
    });
    assert.equal(manifest.owner_key, g.init.ownerPublicKey);
    const bob = await Membership.start({
      group: g.group,
      transport,
      identity: identityOf("bob", bobHome.key.publicKeyText),
      security: "signed",
      signer: { keyId: "bob", privateKey: bobHome.key.privateKey, certificate },
      ownerKey,
      store: bobHome.timeline,
    });
    try {
      await waitFor(() => boss.get("bob") !== undefined, "bob at boss");
      assert.equal(boss.dropped, 0);
      // The certificate went on the roster too.
      assert.ok(g.owner.timeline.certificates.list().some((c) => c.agentId === "bob"));
    } finally {
      await bob.leave();
    }
  });
});

Deno.test("a gated group admits a newcomer with an invite once, and no one with a wrong or used one", async () => {
  await withSponsor("gated", async (g, transport) => {
    await using bobHome = await agentHome("bob");
    await using carolHome = await agentHome("carol");
    const ownerKey = await importPublicKey(g.init.ownerPublicKey);
    g.owner.timeline.invites.add({
      id: "inv-1",
      group: g.group,
      secret: "the-right-invite",
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const ask = (
      home: typeof bobHome,
      invite?: string,
      command: string | null = "scripts/kafclaw",
    ) =>
      requestMembership({
        transport,
        group: g.group,
        agentId: home.agentId,
        publicKey: home.key.publicKeyText,
        ownerKey,
        timeoutMs: 5000,
        ...(command === null ? {} : { command }),
        ...(invite === undefined ? {} : { invite }),
      });
    await assert.rejects(() => ask(bobHome), (e) => {
      assert.ok(e instanceof OnboardRejected);
      assert.match(
        e.message,
        /is gated: ask its owner for an invite \(scripts\/kafclaw group invite\) and run scripts\/kafclaw group join --invite <invite>, or set group\.invite \(KAFCLAW_GROUP_INVITE\)$/,
      );
      return true;
    });
    // Without the name the user runs it by, the hint says kafclaw.
    await assert.rejects(
      () => ask(bobHome, undefined, null),
      /is gated: ask its owner for an invite \(kafclaw group invite\)/,
    );
    await assert.rejects(
      () => ask(bobHome, "a-wrong-invite"),
      /The sponsor refused to admit "bob": the answer matches no unused invite/,
    );
    const { certificate } = await ask(bobHome, "the-right-invite");
    assert.ok(certificate.cert.length > 0);
    assert.equal(g.owner.timeline.invites.list(g.group)[0]?.usedBy, "bob");
    await assert.rejects(
      () => ask(carolHome, "the-right-invite"),
      /The sponsor refused to admit "carol": the answer matches no unused invite/,
    );
    assert.deepEqual(rejections(g), [
      "refused to onboard bob: the answer matches no unused invite",
      "refused to onboard carol: the answer matches no unused invite",
    ]);
    // The group is told too, on its audit topic, by the sponsor.
    const told = () =>
      (transport.broker.topics.get(topicsFor(g.group).audit)?.log.flat() ?? []).flatMap((r) => {
        const parsed = parseRecord(r);
        return parsed.ok && parsed.envelope.type === "audit" ? [parsed.envelope] : [];
      });
    await waitFor(() => told().length === 2, "two refusals on the audit topic");
    assert.deepEqual(
      told().map((e) => [e.sender_id, e.payload.event_type, e.payload.agent_id]).toSorted(),
      [["boss", "onboard_rejected", "bob"], ["boss", "onboard_rejected", "carol"]],
    );
  });
});

Deno.test("an answer to no open challenge is refused", async () => {
  await withSponsor("gated", async (g, transport) => {
    const response = await inviteProof("x", {
      challenge: "never-sent",
      requesterId: "dave",
      publicKey: "k",
      sponsorId: "boss",
    });
    await transport.produce([{
      topic: topicsFor(g.group).onboarding,
      key: "onboard:dave",
      value: JSON.stringify({
        type: "onboard",
        correlation_id: "onboard-1",
        sender_id: "dave",
        timestamp: new Date().toISOString(),
        payload: { action: "onboard_response", requester_id: "dave", sponsor_id: "boss", response },
      }),
    }]);
    await waitFor(() => rejections(g).length === 1, "dave refused");
    assert.deepEqual(rejections(g), [
      "refused to onboard dave: no challenge of this sponsor is open",
    ]);
  });
});

Deno.test("a sponsor refuses a newcomer whose id begins the name of a group agents share", async () => {
  await withSponsor("open", async (g, transport) => {
    await using zoneHome = await agentHome("zoe");
    // A newcomer of another language, as PROTOCOL.md would let it ask: its id is an agent id.
    await transport.produce([{
      topic: topicsFor(g.group).onboarding,
      key: onboardKey("zone"),
      value: JSON.stringify({
        type: "onboard",
        correlation_id: "onboard-zone",
        sender_id: "zone",
        timestamp: new Date().toISOString(),
        protocol: PROTOCOL_VERSION,
        payload: {
          requester_id: "zone",
          action: "onboard_request",
          public_key: zoneHome.key.publicKeyText,
        },
      }),
    }]);
    const answers = () =>
      transport.broker.topics.get(topicsFor(g.group).onboarding)!.log.flat().flatMap((record) => {
        const parsed = parseRecord(record);
        if (!parsed.ok || parsed.envelope.type !== "onboard") return [];
        const step = parsed.envelope.payload;
        return step.action === "onboard_request" ? [] : [`${step.action}: ${step.reason}`];
      });
    await waitFor(() => answers().length > 0, "the sponsor's answer");
    assert.deepEqual(answers(), [
      'onboard_reject: "zone" cannot be a member\'s id: a-z, 0-9, _ and - (starting with a ' +
      "letter or digit), at most 64, and not owner, workers, sponsors, skill, zone or reader",
    ]);
    // Our own newcomer under such an id stops before it asks.
    await assert.rejects(
      () =>
        requestMembership({
          transport,
          group: g.group,
          agentId: "skill",
          publicKey: zoneHome.key.publicKeyText,
          ownerKey: g.ownerPublic,
        }),
      TypeError,
    );
  });
});

Deno.test("a sponsor gives no newcomer a member's id certified with another key, nor a revoked one; the same key is certified again", async () => {
  for (const mode of ["open", "gated"] as const) {
    await withSponsor(mode, async (g, transport, boss) => {
      await using aliceHome = await agentHome("alice");
      await using malloryHome = await agentHome("mallory");
      const ownerKey = await importPublicKey(g.init.ownerPublicKey);
      const secrets = ["inv-a", "inv-b", "inv-c"];
      for (const secret of secrets) {
        g.owner.timeline.invites.add({
          id: secret,
          group: g.group,
          secret,
          expiresAt: new Date(Date.now() + 3_600_000),
        });
      }
      const ask = (agentId: string, publicKey: string, invite = secrets.shift()) =>
        requestMembership({
          transport,
          group: g.group,
          agentId,
          publicKey,
          ownerKey,
          timeoutMs: 5000,
          ...(mode === "gated" ? { invite: invite! } : {}),
        });
      await ask("alice", aliceHome.key.publicKeyText);
      await waitFor(() => boss.standing("alice") !== undefined, "alice's certificate at boss");
      // Mallory asks for alice's id (and the owner's agent's) with her own key: refused, and in a
      // gated group no invite is spent on it.
      for (const id of ["alice", "boss"]) {
        await assert.rejects(
          () => ask(id, malloryHome.key.publicKeyText, "inv-b"),
          new RegExp(
            `The sponsor refused to admit "${id}": "${id}" is a member's id already, certified ` +
              "with another key: join under another agent id",
          ),
        );
      }
      // Alice, who lost her certificate file but kept her key, is certified again.
      const again = await ask("alice", aliceHome.key.publicKeyText);
      assert.ok(again.certificate.cert.length > 0);
      // A revoked id is given to no one, its own key included.
      await transport.produce([
        await revocationRecord(g.group, g.ownerKey.privateKey, "alice", "key lost"),
      ]);
      await waitFor(() => "revoked" in (boss.standing("alice") ?? {}), "the revocation at boss");
      await assert.rejects(
        () => ask("alice", aliceHome.key.publicKeyText, "inv-c"),
        /"alice" is revoked in this group \(key lost\): join under another agent id/,
      );
      if (mode === "gated") {
        const used = g.owner.timeline.invites.list(g.group).filter((i) => i.usedBy !== undefined);
        assert.deepEqual(
          used.map((i) => i.id).toSorted(),
          ["inv-a", "inv-b"],
          "none spent on refusals",
        );
      }
    });
  }
});
