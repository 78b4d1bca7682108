/**
 * A worker of a signed group in a process of its own, for tests that kill it (SIGKILL) at a known
 * step and start it again on the same home, as a machine that crashed and came back: a real agent
 * runtime against the fake LLM, its membership (the replay table in its home's SQLite), and a
 * {@link TaskIntake} behind the membership's guard on the group's requests. Its Kafka transport
 * commits taken offsets only after `commitMs`, so a test that kills it while it thinks knows the
 * record it took was not committed (the default second leaves that to chance).
 *
 *     deno run -P=test tests/_support/crash_worker.ts '<CrashWorkerOptions as JSON>'
 *
 * It prints `ready` once it takes the group's requests, and runs until it is killed.
 *
 * @module
 */
import { join } from "node:path";
import { agentKey, Membership, TaskIntake } from "../../core/group/mod.ts";
import {
  type CertificateBundle,
  deadLetterTopicFor,
  importPublicKey,
  topicsFor,
  type TopicSpecOptions,
  workersConsumerGroup,
} from "../../core/protocol/mod.ts";
import { loadKafka } from "../../core/transport/mod.ts";
import { agentRuntime } from "./group_worker.ts";
import { identityOf } from "./group_member.ts";

const { KafkaTransport } = await loadKafka();

/** What the worker is started with. */
export interface CrashWorkerOptions {
  readonly brokers: readonly string[];
  readonly group: string;
  readonly agentId: string;
  /** Its KAFCLAW_HOME, with its key in `identity/`; kept across restarts. */
  readonly home: string;
  readonly certificate: CertificateBundle;
  readonly ownerPublicKey: string;
  readonly topics: TopicSpecOptions;
  /** The fake LLM's base URL. */
  readonly llmUrl: string;
  /** How long a taken record may stay uncommitted. */
  readonly commitMs: number;
}

/** The command that starts a worker with `options`; its output is piped. */
export function crashWorkerCommand(options: CrashWorkerOptions): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-P=test", "--quiet", new URL(import.meta.url).pathname, JSON.stringify(options)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

async function run(options: CrashWorkerOptions): Promise<void> {
  const { group, agentId, home } = options;
  const transport = new KafkaTransport({
    brokers: options.brokers,
    clientId: `kafclaw-${agentId}`,
    commitIntervalMs: options.commitMs,
    // A killed run leaves the group within seconds, so the next one can join.
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 1_000,
  });
  const runtime = await agentRuntime(home, { agentId, llm: { url: options.llmUrl } });
  const key = await agentKey(join(home, "identity"));
  const membership = await Membership.start({
    group,
    transport,
    identity: identityOf(agentId, key.publicKeyText),
    security: "signed",
    signer: { keyId: agentId, privateKey: key.privateKey, certificate: options.certificate },
    ownerKey: await importPublicKey(options.ownerPublicKey),
    store: runtime.timeline,
    topics: options.topics,
  });
  const intake = new TaskIntake({
    agentId,
    door: runtime.door,
    trust: membership.trust,
    send: (records) => membership.send(records),
  });
  const requests = topicsFor(group).requests;
  await transport.subscribe({
    kind: "work",
    topics: [requests],
    groupId: workersConsumerGroup(group),
    deadLetterTopic: deadLetterTopicFor(requests),
    handler: membership.guard(intake.handle),
  });
  console.log("ready");
}

if (import.meta.main) await run(JSON.parse(Deno.args[0]!));
