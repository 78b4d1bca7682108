/**
 * A newcomer's first read of a signed group's state topics, on the broker that `scripts/kafka
 * start` runs (`deno bench -P=test scripts/bench/roster_bench.ts`, about a minute; or KAFCLAW_TEST_BROKERS):
 * 100 agents' certificates on the roster topic (signed by the owner) and 400 of their joins on the
 * announce topic (4 each, signed by each agent), 500 signed records, read whole as a member
 * reads them at start (`control.roster` first, then the announce topic, each through a consumer
 * group of its own) by a {@link RosterFeed} of a fresh {@link GroupTrust}.
 *
 * Two sides, iterations paired: the feed's handlers as they are (each fetched batch's signatures
 * started together, `verifyAhead`), against the same handlers without their `prepare`, which
 * check each record's signature when it comes, one after the other (what the first read did
 * before). The summary prints, for both, the median of the whole read and of the part after the
 * first record arrived (the consumer groups' joins, the same on both sides, are most of the rest),
 * and the process's CPU time.
 */
import { join } from "node:path";
import {
  admit,
  announceRecord,
  certificateRecord,
  GroupTrust,
  initGroup,
  ownerKey,
  Roster,
  RosterFeed,
} from "../../core/group/mod.ts";
import {
  exportPublicKey,
  generateKeyPair,
  importPublicKey,
  MemoryReplayStore,
  signRecords,
  topicsFor,
} from "../../core/protocol/mod.ts";
import { type InboundRecord, loadKafka, type RecordHandler } from "../../core/transport/mod.ts";
import { identityOf } from "../../tests/_support/group_member.ts";
import { brokersForBench, noBroker } from "./_kafka_pairs.ts";
import { Samples } from "./_paired.ts";

const { KafkaTransport } = await loadKafka();
type KafkaTransport = InstanceType<typeof KafkaTransport>;

const AGENTS = 100;
const JOINS_EACH = 4;
const BATCHED = "roster: first read of 500 signed records, batches verified ahead";
const ONE_BY_ONE = "roster: the same, each record's signature checked when it comes";
const group = "roster: catch-up of 500 signed records";

const brokers = await brokersForBench();
const samples = new Samples();

if (brokers === undefined) {
  console.log(noBroker("roster bench"));
} else {
  const fixture = await rosterGroup(brokers);
  const transport = new KafkaTransport({ brokers, clientId: "bench-roster-reader" });
  const read = (batched: boolean) => catchUp(transport, fixture, batched);
  Deno.bench(
    ONE_BY_ONE,
    { group, baseline: true, n: 20, warmup: 2 },
    samples.paired(ONE_BY_ONE, () => read(true), () => read(false)),
  );
  Deno.bench(
    BATCHED,
    { group, n: 20, warmup: 2 },
    samples.paired(BATCHED, () => read(false), () => read(true)),
  );
  globalThis.addEventListener("unload", summary);
}

/** A signed group on the broker holding the bench's 500 records; its name and owner key. */
async function rosterGroup(brokers: string[]) {
  const name = `benchroster${crypto.randomUUID().slice(0, 8)}`;
  const identityDir = join(await Deno.makeTempDir({ prefix: "kafclaw-bench-roster-" }), "id");
  const admin = new KafkaTransport({ brokers, clientId: "bench-roster-owner" });
  const init = await initGroup({
    group: name,
    agentId: "boss",
    identityDir,
    transport: admin,
    security: "signed",
    onboardMode: "open",
    heartbeatIntervalMs: 1000,
    topics: { replicationFactor: 1, workPartitions: 1 },
  });
  const owner = (await ownerKey(identityDir))!;
  const agents = await Promise.all(Array.from({ length: AGENTS }, async (_, i) => {
    const agentId = `agent-${i}`;
    const keys = await generateKeyPair();
    const publicKey = await exportPublicKey(keys.publicKey);
    const certificate = await admit(owner.privateKey, { agentId, publicKey });
    return { agentId, keys, publicKey, certificate };
  }));
  await admin.produce(
    await Promise.all(
      agents.map((a) => certificateRecord(name, owner.privateKey, a.agentId, a.certificate)),
    ),
  );
  for (let round = 0; round < JOINS_EACH; round++) {
    const joins = await Promise.all(agents.map(async (a) => {
      const record = announceRecord(name, "join", identityOf(a.agentId, a.publicKey));
      const signer = { keyId: a.agentId, privateKey: a.keys.privateKey };
      const [headers] = await signRecords([record], signer);
      return { ...record, headers: headers! };
    }));
    await admin.produce(joins);
  }
  await admin.close();
  return { name, ownerPublic: await importPublicKey(init.ownerPublicKey) };
}

/** The handler without its `prepare`: each record checked alone, as it comes. */
function oneAtATime(handler: RecordHandler): RecordHandler {
  return (record: InboundRecord) => handler(record);
}

/** Reads the roster and announce topics whole, as a member does at start; checks the result. */
async function catchUp(
  transport: KafkaTransport,
  fixture: { readonly name: string; readonly ownerPublic: CryptoKey },
  batched: boolean,
) {
  const roster = new Roster();
  const trust = new GroupTrust({
    ownerKey: fixture.ownerPublic,
    replay: new MemoryReplayStore(),
    audit: (dropped) => {
      throw new Error(`dropped: ${dropped.detail}`);
    },
  });
  const feed = new RosterFeed({ roster, trust, audit: () => {}, changed: () => {}, now: Date.now });
  const topics = topicsFor(fixture.name);
  const groupId = `kafclaw.${fixture.name}.bench-${crypto.randomUUID().slice(0, 8)}`;
  const started = performance.now();
  let reading = 0;
  const read = [[topics.roster, feed.onRoster], [topics.announce, feed.onAnnounce]] as const;
  for (const [topic, handler] of read) {
    const used: RecordHandler = batched ? handler : oneAtATime(handler);
    let first: number | undefined;
    const timed = (record: InboundRecord) => {
      first ??= performance.now();
      return used(record);
    };
    const prepare = used.prepare;
    const subscription = await transport.subscribe({
      kind: "state",
      topics: [topic],
      groupId,
      handler: prepare === undefined ? timed : Object.assign(timed, {
        prepare: (records: readonly InboundRecord[]) => {
          first ??= performance.now();
          return prepare(records);
        },
      }),
    });
    try {
      await subscription.caughtUp();
      reading += performance.now() - (first ?? performance.now());
    } finally {
      await subscription.close();
    }
  }
  if (roster.members().length !== AGENTS) {
    throw new Error(`the roster holds ${roster.members().length} members, not ${AGENTS}`);
  }
  samples.record(`${batched ? BATCHED : ONE_BY_ONE} (after the first record)`, reading);
  return performance.now() - started;
}

function summary(): void {
  if (samples.size === 0) return;
  console.log("\nroster catch-up, 500 signed records: this machine, this run (medians)");
  for (const name of [ONE_BY_ONE, BATCHED]) {
    const after = `${name} (after the first record)`;
    console.log(
      `  ${name.replace("roster: ", "").padEnd(72)} ${samples.quantile(name, 0.5).toFixed(0)} ms ` +
        `(reading ${samples.quantile(after, 0.5).toFixed(0)} ms), CPU ` +
        `${samples.cpuQuantile(name, 0.5).toFixed(0)} ms`,
    );
  }
}
