/**
 * A zone in a signed group on the real broker, among `kafclaw gateway` processes: the owner's boss
 * makes zone lab and lists ann, ben, the requester tester and mallory as members, but only ann's
 * and tester's certificates name lab. Ann alone reads lab (ben, listed, does not), answers
 * tester's signed task there, and drops and audits mallory's signed record, with the reason; ben's
 * `task submit --zone lab` is refused in one line that says why; boss's `zone create` notes how
 * the owner grants the zone; `group acl` gives lab's topics to ann and tester alone.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { agentKey, RecordSigner, writeCertificate } from "../../../../core/group/mod.ts";
import {
  type Envelope,
  exportPublicKey,
  generateKeyPair,
  parseRecord,
  zoneTopic,
} from "../../../../core/protocol/mod.ts";
import { zoneConsumerGroup } from "../../../../core/group/mod.ts";
import { followAudit } from "../../../_support/audit.ts";
import { jsonOf, kafclaw } from "../../../_support/cli.ts";
import { gateway, signedGroup, taskReader, vouch } from "../../../_support/gateway_group.ts";
import { requestRecord } from "../../../_support/group_worker.ts";
import { followTopic } from "../../../_support/topic_records.ts";
import { waitFor } from "../../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "in a signed group only members whose certificate names the zone work in it; another listed member's record there is dropped and audited",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const { group, boss, pinned } = await signedGroup("zs", stack);
    await boss.start();
    const admit = async (id: string, publicKey: string, zones: string) => {
      const out = await kafclaw(
        ["group", "admit", id, "--public-key", publicKey, "--zones", zones, "--vouched", "--json"],
        boss.env,
      );
      assert.equal(out.code, 0, out.stderr);
      return jsonOf(out).certificate;
    };
    const ann = stack.use(await gateway(group, "ann", pinned));
    const annIdentity = join(ann.home, "identity");
    const annKey = await agentKey(annIdentity);
    await writeCertificate(annIdentity, await admit("ann", annKey.publicKeyText, "public,lab"));
    const ben = stack.use(await gateway(group, "ben", pinned));
    await vouch(boss.env, ben.home, "ben");
    await ann.start();
    await ben.start();
    // Two signers of the test's own: tester's certificate names lab, mallory's does not.
    const signer = async (id: string, zones: string) => {
      const keys = await generateKeyPair();
      const certificate = await admit(id, await exportPublicKey(keys.publicKey), zones);
      return new RecordSigner({ keyId: id, privateKey: keys.privateKey, certificate });
    };
    const tester = await signer("tester", "public,lab");
    const mallory = await signer("mallory", "public");

    const made = await kafclaw(["zone", "create", "lab"], boss.env);
    assert.equal(made.code, 0, made.stderr);
    assert.match(
      made.stderr,
      /^note: "boss" works in zone "lab" once its certificate names it: the group's owner runs \S*kafclaw group admit boss --zones public,lab --vouched --issuer\n/,
    );
    for (const id of ["ann", "ben", "tester", "mallory"]) {
      const out = await kafclaw(["zone", "approve", "lab", id], boss.env);
      assert.equal(out.code, 0, out.stderr);
    }
    await using reader = await taskReader(group);
    const labGroup = zoneConsumerGroup(group, "lab");
    await waitFor(
      async () => (await reader.transport.groupMembers(labGroup)) === 1,
      "ann reading lab's requests",
      { timeoutMs: 60_000 },
    );

    const refused = await kafclaw(["task", "submit", "--zone", "lab", "x"], ben.env);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(
      refused.stderr,
      'kafclaw: Cannot send a task into zone "lab": "ben" is listed in zone "lab", but its certificate does not name it\n',
    );

    const answers: Envelope[] = [];
    const responses = await followTopic(
      reader.transport,
      zoneTopic(group, "lab", "responses"),
      (record) => {
        const parsed = parseRecord(record);
        if (parsed.ok) answers.push(parsed.envelope);
      },
    );
    stack.defer(() => responses.close());
    const audit = await followAudit(reader.transport, group);
    stack.defer(() => audit.close());
    const requests = zoneTopic(group, "lab", "requests");
    await reader.transport.produce([
      ...await mallory.sign([
        requestRecord(requests, { id: "zs-mallory", content: "Mallory's ask", from: "mallory" }),
      ]),
      ...await tester.sign([
        requestRecord(requests, { id: "zs-tester", content: "Tester's ask", from: "tester" }),
      ]),
    ]);
    await waitFor(
      () => answers.some((e) => e.correlation_id === "zs-tester"),
      "ann's answer to tester on lab's responses",
      { timeoutMs: 60_000 },
    );
    const dropped = () =>
      audit.seen.filter((a) => a.code === "not_zone_member" && a.agent_id === "mallory");
    await waitFor(() => dropped().length > 0, "ann's audit of mallory's record", {
      timeoutMs: 30_000,
      state: () => audit.seen,
    });
    assert.equal(dropped()[0]!.sender, "ann");
    assert.match(
      String(dropped()[0]!.detail),
      /"mallory" is listed in zone "lab", but its certificate does not name it/,
    );
    const asked = (g: typeof ann, text: string) =>
      g.llm.chatRequests().some((r) => JSON.stringify(r.body).includes(text));
    assert.equal(asked(ann, "Tester's ask"), true);
    assert.equal([ann, ben, boss].some((g) => asked(g, "Mallory's ask")), false);
    assert.equal(answers.some((e) => e.correlation_id === "zs-mallory"), false);
    // Ben, listed but not certified, never joined lab's readers.
    assert.equal(await reader.transport.groupMembers(labGroup), 1);
    const members = await kafclaw(["zone", "members", "lab", "--json"], ben.env);
    assert.equal(members.code, 0, members.stderr);
    assert.deepEqual(jsonOf(members).uncertified, ["ben", "boss", "mallory"]);
    // The ACLs follow the same membership: lab's topics for ann and tester, not ben or mallory.
    const acl = await kafclaw(["group", "acl", "--json"], boss.env);
    assert.equal(acl.code, 0, acl.stderr);
    const zonesByAgent = Object.fromEntries(
      (jsonOf(acl).agents as { agent_id: string; zones: string[] }[]).map((a) => [
        a.agent_id,
        a.zones.filter((z) => z !== "public"),
      ]),
    );
    assert.deepEqual(
      [zonesByAgent.ann, zonesByAgent.tester, zonesByAgent.ben, zonesByAgent.mallory],
      [["lab"], ["lab"], [], []],
    );
    // The owner gives ben the zone by its id alone: the new certificate takes the key (and the
    // vouching) of the one the group knows for ben, as the note says to.
    const listed = await kafclaw(["zone", "members", "lab"], ben.env);
    assert.match(
      listed.stderr,
      /note: the group's owner gives "ben" the zone with \S*kafclaw group admit ben --zones public,lab --vouched\n/,
    );
    const given = await kafclaw(["group", "admit", "ben", "--zones", "public,lab"], boss.env);
    assert.equal(given.code, 0, given.stderr);
    assert.match(given.stderr, /^note: the certificate the group knew for "ben" allowed vouched/);
    const after = await kafclaw(["zone", "members", "lab", "--json"], ben.env);
    assert.deepEqual(jsonOf(after).uncertified, ["boss", "mallory"]);
    const nobody = await kafclaw(["group", "admit", "ghost", "--zones", "public,lab"], boss.env);
    assert.equal(nobody.code, 2);
    assert.match(nobody.stderr, /no certificate of "ghost" is on the roster .*--public-key/);
  },
);
