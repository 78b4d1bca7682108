/**
 * Onboarding when things go wrong: no sponsor answers, a sponsor hands out a certificate that
 * does not chain to the owner or is not the newcomer's, a sponsor without the manifest, and junk
 * on the onboarding topic.
 */
import assert from "node:assert/strict";
import {
  admit,
  memberTopicSpecs,
  OnboardRejected,
  requestMembership,
  Sponsor,
} from "../../../../core/group/mod.ts";
import {
  exportPublicKey,
  generateKeyPair,
  type GroupManifest,
  sponsorsConsumerGroup,
  topicsFor,
} from "../../../../core/protocol/mod.ts";
import { MemoryTransport } from "../../../../core/transport/mod.ts";

const manifest: GroupManifest = {
  group_name: "ob",
  version: 1,
  owner_key: await exportPublicKey((await generateKeyPair()).publicKey),
  security_mode: "signed",
  onboard_mode: "open",
  heartbeat_interval_ms: 1000,
  topics: [],
  updated_at: new Date().toISOString(),
  updated_by: "owner",
};

/** A transport with the group's topics and a sponsor whose certificates `issue` makes. */
async function withSponsor(
  options: {
    issue: (agentId: string, publicKey: string) => ReturnType<typeof admit>;
    manifest?: GroupManifest;
  },
) {
  const transport = new MemoryTransport();
  await transport.createTopics(memberTopicSpecs("ob"));
  const refused: string[] = [];
  const sponsor = new Sponsor({
    group: "ob",
    sponsorId: "boss",
    onboardMode: () => "open",
    issue: options.issue,
    manifest: () => options.manifest,
    invites: { usable: () => [], use: () => false },
    send: (records) => transport.produce(records),
    audit: (agentId, reason) => refused.push(`${agentId}: ${reason}`),
  });
  const subscription = await transport.subscribe({
    kind: "work",
    topics: [topicsFor("ob").onboarding],
    groupId: sponsorsConsumerGroup("ob"),
    handler: sponsor.handle,
  });
  return { transport, refused, subscription };
}

Deno.test("a newcomer that no sponsor answers gives up after its timeout, saying why", async () => {
  const transport = new MemoryTransport();
  await transport.createTopics(memberTopicSpecs("ob"));
  const owner = await generateKeyPair();
  await assert.rejects(
    () =>
      requestMembership({
        transport,
        group: "ob",
        agentId: "bob",
        publicKey: "k",
        ownerKey: owner.publicKey,
        timeoutMs: 50,
      }),
    /^SponsorSilent: Cannot join group "ob": no sponsor answered within 50 ms/,
  );
});

Deno.test("a certificate that does not chain to the owner, or is another's, is not taken", async () => {
  const owner = await generateKeyPair();
  const rogue = await generateKeyPair();
  const bob = await exportPublicKey((await generateKeyPair()).publicKey);
  const ask = (transport: MemoryTransport) =>
    requestMembership({
      transport,
      group: "ob",
      agentId: "bob",
      publicKey: bob,
      ownerKey: owner.publicKey,
    });
  {
    const s = await withSponsor({
      issue: (agentId, publicKey) => admit(rogue.privateKey, { agentId, publicKey }),
      manifest,
    });
    // Junk on the topic first: the sponsor skips it as poison, the newcomer ignores it.
    await s.transport.produce([
      { topic: topicsFor("ob").onboarding, key: "onboard:bob", value: "{" },
      {
        topic: topicsFor("ob").onboarding,
        key: "onboard:bob",
        value: JSON.stringify({
          type: "audit",
          correlation_id: "a",
          sender_id: "bob",
          timestamp: new Date().toISOString(),
          payload: { event_type: "poison_record", detail: "", agent_id: "bob" },
        }),
      },
    ]);
    await assert.rejects(() => ask(s.transport), (e: unknown) => {
      assert.ok(e instanceof OnboardRejected);
      assert.match(e.message, /^The sponsor's certificate is not good: /);
      return true;
    });
    assert.equal(s.subscription.stats.poison, 2);
    await s.subscription.close();
  }
  {
    const s = await withSponsor({
      issue: (_agentId, publicKey) => admit(owner.privateKey, { agentId: "mallory", publicKey }),
      manifest,
    });
    await assert.rejects(() => ask(s.transport), /certificate is for another agent or key/);
    await s.subscription.close();
  }
});

Deno.test("a sponsor that has not read the manifest yet refuses, and says so", async () => {
  const owner = await generateKeyPair();
  const s = await withSponsor({
    issue: () => Promise.reject(new Error("never issued")),
  });
  const publicKey = await exportPublicKey((await generateKeyPair()).publicKey);
  await assert.rejects(
    () =>
      requestMembership({
        transport: s.transport,
        group: "ob",
        agentId: "bob",
        publicKey,
        ownerKey: owner.publicKey,
      }),
    /refused to admit "bob": the sponsor has no manifest yet/,
  );
  assert.deepEqual(s.refused, ["bob: the sponsor has no manifest yet"]);
  await s.subscription.close();
});

Deno.test("a gated sponsor looks at the roster again before it spends an invite: an id revoked since the challenge is refused", async () => {
  const transport = new MemoryTransport();
  await transport.createTopics(memberTopicSpecs("ob"));
  const owner = await generateKeyPair();
  const spent: string[] = [];
  let looks = 0;
  const sponsor = new Sponsor({
    group: "ob",
    sponsorId: "boss",
    onboardMode: () => "gated",
    issue: (agentId, publicKey) => admit(owner.privateKey, { agentId, publicKey }),
    manifest: () => manifest,
    invites: {
      usable: () => [{ id: "inv", secret: "the-invite" }] as never,
      use: (id) => (spent.push(id), true),
    },
    // Free at the request; revoked by the time the answer comes.
    standing: () => looks++ === 0 ? undefined : { revoked: "key lost" },
    send: (records) => transport.produce(records),
    audit: () => {},
  });
  const subscription = await transport.subscribe({
    kind: "work",
    topics: [topicsFor("ob").onboarding],
    groupId: sponsorsConsumerGroup("ob"),
    handler: sponsor.handle,
  });
  const publicKey = await exportPublicKey((await generateKeyPair()).publicKey);
  try {
    await assert.rejects(
      () =>
        requestMembership({
          transport,
          group: "ob",
          agentId: "bob",
          publicKey,
          ownerKey: owner.publicKey,
          invite: "the-invite",
          timeoutMs: 5000,
        }),
      /The sponsor refused to admit "bob": "bob" is revoked in this group \(key lost\)/,
    );
    assert.equal(looks, 2);
    assert.deepEqual(spent, [], "no invite spent");
  } finally {
    await subscription.close();
  }
});
