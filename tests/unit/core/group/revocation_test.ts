/**
 * An agent the owner revokes: while it runs, its membership tells it once (it leaves; the gateway
 * and `group join` do so), another member's revocation tells it nothing, and in an open group,
 * where nothing is verified, a revocation is no word of the owner's; started again, it refuses to
 * join before it sends anything.
 */
import assert from "node:assert/strict";
import {
  GroupSetupError,
  Membership,
  memberTopicSpecs,
  readRoster,
  revocationRecord,
} from "../../../../core/group/mod.ts";
import { topicsFor } from "../../../../core/protocol/mod.ts";
import { MemoryTransport } from "../../../../core/transport/mod.ts";
import {
  agentHome,
  certify,
  identityOf,
  makeGroup,
  startMember,
} from "../../../_support/group_member.ts";
import { waitFor } from "../../../_support/wait.ts";

Deno.test("a running member told of its own revocation once, of another's never; started again it refuses to join, sending nothing", async () => {
  const transport = new MemoryTransport();
  const g = await makeGroup(transport, "rv1");
  await using _owner = g.owner;
  await using aliceHome = await agentHome("alice");
  await using bobHome = await agentHome("bob");
  const told: string[] = [];
  const boss = await startMember(transport, g, g.owner, g.init.certificate);
  const aliceCert = await certify(transport, g, aliceHome);
  const alice = await startMember(transport, g, aliceHome, aliceCert, {
    onRevoked: (message) => told.push(message),
  });
  const bob = await startMember(transport, g, bobHome, await certify(transport, g, bobHome));
  try {
    const revoke = async (id: string, reason: string) =>
      await transport.produce([await revocationRecord("rv1", g.ownerKey.privateKey, id, reason)]);
    await revoke("bob", "left the company");
    await waitFor(() => alice.get("bob") === undefined, "bob gone at alice");
    assert.deepEqual(told, [], "another's revocation");
    await revoke("alice", "key lost");
    await revoke("alice", "said twice");
    await waitFor(() => told.length > 0, "alice told");
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(told, [
      'Agent "alice" was revoked by the owner of group "rv1" (key lost): every member drops ' +
      "its records from now on",
    ]);
  } finally {
    await alice.leave();
    await bob.leave();
    await boss.leave();
  }
  // Started again with the same certificate: refused after reading the roster (its latest
  // revocation's reason), before any send.
  const announce = topicsFor("rv1").announce;
  const before = transport.broker.topics.get(announce)!.log.flat().length;
  await assert.rejects(
    () => startMember(transport, g, aliceHome, aliceCert),
    (error: Error) => {
      assert.ok(error instanceof GroupSetupError);
      assert.equal(
        error.message,
        'Agent "alice" is revoked by the owner of group "rv1" (said twice): every member drops ' +
          "its records, so it does not join; the owner can admit it again only under another " +
          "agent id",
      );
      return true;
    },
  );
  assert.equal(transport.broker.topics.get(announce)!.log.flat().length, before, "no announce");
  // Read from the topics (`group revoke` asks so before it revokes again).
  const read = await readRoster(transport, "rv1", { ownerKey: g.ownerPublic });
  assert.deepEqual([read.revocation("alice"), read.revocation("boss")], ["said twice", undefined]);
});

Deno.test("in an open group a revocation record is nobody's word: a member is not told, and starts again", async () => {
  const transport = new MemoryTransport();
  await transport.createTopics(memberTopicSpecs("rv2"));
  await using aliceHome = await agentHome("alice");
  const told: string[] = [];
  const start = () =>
    Membership.start({
      group: "rv2",
      transport,
      identity: identityOf("alice", aliceHome.key.publicKeyText),
      security: "open",
      store: aliceHome.timeline,
      onRevoked: (message) => told.push(message),
    });
  const alice = await start();
  const g = await makeGroup(new MemoryTransport(), "rv2");
  await using _owner = g.owner;
  try {
    await transport.produce([
      await revocationRecord("rv2", g.ownerKey.privateKey, "alice", "says anyone"),
    ]);
    const stored = () => aliceHome.timeline.certificates.list().some((c) => c.agentId === "alice");
    await waitFor(stored, "the revocation read");
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(told, []);
    assert.equal(alice.standing("alice"), undefined, "an open group holds no standing");
  } finally {
    await alice.leave();
  }
  const again = await start();
  await again.leave();
});
