/**
 * `kafclaw gateway` processes for tests on the real broker: each in its own KAFCLAW_HOME against
 * its own fake LLM, configured by the environment alone; a reader of a group's statuses and
 * responses in the test process; the roster as a running gateway's home shows it.
 */
import { resolvePrepared } from "../../core/config/mod.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { createAgentRuntime } from "../../core/agent/mod.ts";
import { Gateway } from "../../core/gateway/mod.ts";
import { agentKey, writeCertificate, zoneConsumerGroup } from "../../core/group/mod.ts";
import { type Envelope, parseRecord, topicsFor } from "../../core/protocol/mod.ts";
import { loadKafka } from "../../core/transport/mod.ts";
import { type FakeOpenAI, type FakeTurnSource, startFakeOpenAI } from "../fakes/openai_server.ts";
import { testBrokers } from "./broker.ts";
import { Child } from "./child.ts";
import { jsonOf, kafclaw, kafclawCommand, tempHome } from "./cli.ts";
import { followTopic } from "./topic_records.ts";
import { gatewayEnv } from "./gateway_env.ts";
import { uniqueName, waitFor } from "./wait.ts";

const { KafkaTransport } = await loadKafka();
type KafkaTransport = InstanceType<typeof KafkaTransport>;

const brokers = testBrokers();

/** The environment of agent `id` of `group`: nothing but variables. */
export function envOf(group: string, id: string, home: string, llm: FakeOpenAI, more = {}) {
  return gatewayEnv(home, llm, {
    KAFCLAW_GROUP_ENABLED: "true",
    KAFCLAW_GROUP_NAME: group,
    KAFCLAW_GROUP_KAFKA_BROKERS: brokers.join(","),
    KAFCLAW_GROUP_AGENT_ID: id,
    KAFCLAW_GROUP_PARTITIONS: "3",
    // The running agent's roster counts for 3 intervals after its last heartbeat: room enough
    // for a machine busy starting three agents.
    KAFCLAW_GROUP_HEARTBEAT_INTERVAL_MS: "3000",
    NO_COLOR: "1",
    ...more,
  });
}

/**
 * One gateway process with its home and fake LLM (`chat` first, then `answered by <id>`); start it
 * with `start()`; disposing kills it and removes both.
 */
export async function gateway(
  group: string,
  id: string,
  more: Record<string, string> = {},
  chat: FakeTurnSource[] = [],
) {
  const home = await tempHome();
  const llm = await startFakeOpenAI({ chat, fallback: { text: `answered by ${id}` } });
  const env = envOf(group, id, home.path, llm, more);
  return {
    id,
    env,
    llm,
    home: home.path,
    child: undefined as Child | undefined,
    start() {
      this.child = new Child(kafclawCommand(["gateway", "--json"], env));
      return this.child.until(/"event":"started"/);
    },
    async [Symbol.asyncDispose]() {
      await this.child?.[Symbol.asyncDispose]();
      await llm.close();
      await home[Symbol.asyncDispose]();
    },
  };
}

/**
 * What each gateway process said last, by id: whether it still runs (else its exit code) and the
 * last 2 kB of its stderr and of its stdout; the state a timed-out wait or a failed step shows.
 */
export function tails(
  gateways: readonly { readonly id: string; readonly child?: Child | undefined }[],
) {
  return Object.fromEntries(gateways.map(({ id, child }) => [
    id,
    child === undefined ? "not started" : {
      running: child.exited === undefined ? true : `no: exited ${child.exited}`,
      stderr: child.stderr.slice(-2048),
      stdout: child.stdout.slice(-2048),
    },
  ]));
}

/**
 * Reads the responses, statuses and heartbeats of `group` from the beginning, in the test
 * process.
 */
export async function taskReader(group: string) {
  const topics = topicsFor(group);
  const transport = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
  const seen: Envelope[] = [];
  const reader = await followTopic(
    transport,
    [topics.responses, topics.tasksStatus, topics.heartbeats],
    (record) => {
      const parsed = parseRecord(record);
      if (parsed.ok) seen.push(parsed.envelope);
    },
  );
  return {
    transport,
    seen,
    responses: () => seen.filter((e) => e.type === "response"),
    claims: () => seen.filter((e) => e.type === "task_status" && e.payload.status === "claimed"),
    /** What the workers said of `taskId`, as `<worker>:<status>@<attempt>`. */
    statuses: (taskId: string) =>
      seen.flatMap((e) =>
        e.type === "task_status" && e.correlation_id === taskId &&
          e.sender_id === e.payload.worker_id
          ? [`${e.payload.worker_id}:${e.payload.status}@${e.payload.attempt}`]
          : []
      ),
    /** The heartbeats `agentId` sent after `since` (ms since the epoch), oldest first. */
    heartbeats: (agentId: string, since = 0) =>
      seen.flatMap((e) =>
        e.type === "heartbeat" && e.sender_id === agentId && Date.parse(e.timestamp) > since
          ? [e.payload]
          : []
      ),
    async [Symbol.asyncDispose]() {
      await reader.close();
      await transport.close();
    },
  };
}

/** The roster as `kafclaw group members --json` prints it from the running gateway of a home. */
export async function rosterOf(env: Record<string, string>): Promise<string[]> {
  const out = await kafclaw(["group", "members", "--json"], env);
  assert.equal(out.code, 0, out.stderr);
  const parsed = jsonOf(out) as {
    source: string;
    members: { agent_id: string; status: string }[];
  };
  // Only the running gateway's own view counts here (not a read of the topics beside it).
  if (parsed.source !== "agent") return [`source:${parsed.source}`];
  return parsed.members.map((m) => `${m.agent_id}:${m.status}`);
}

/**
 * Gives the agent of `home` a key and a vouched certificate, issued in the owner's home; naming
 * `zones` (`public,lab`) when given.
 */
export async function vouch(
  ownerEnv: Record<string, string>,
  home: string,
  agentId: string,
  zones?: string,
) {
  const identity = join(home, "identity");
  const key = await agentKey(identity);
  const admitted = await kafclaw(
    [
      "group",
      "admit",
      agentId,
      "--public-key",
      key.publicKeyText,
      ...(zones === undefined ? [] : ["--zones", zones]),
      "--vouched",
      "--json",
    ],
    ownerEnv,
  );
  assert.equal(admitted.code, 0, admitted.stderr);
  await writeCertificate(identity, jsonOf(admitted).certificate);
}

/**
 * A requester `id` of `group`: a gateway in the test process (so the test sends its tasks and
 * reads their answers), configured by env as the processes are (`more`: the lease, say); vouched
 * for in the home of `ownerEnv`, unless the group is open (undefined).
 */
export async function requesterGateway(
  group: string,
  ownerEnv: Record<string, string> | undefined,
  more: Record<string, string>,
  id = "req",
) {
  const home = await tempHome();
  if (ownerEnv !== undefined) await vouch(ownerEnv, home.path, id);
  const llm = await startFakeOpenAI({ fallback: { text: "unused" } });
  const config = await resolvePrepared({
    home: home.path,
    env: envOf(group, id, home.path, llm, more),
  });
  const gateway = await Gateway.start(config, {
    createRuntime: (c) => createAgentRuntime(c, {}),
  });
  return {
    gateway,
    async [Symbol.asyncDispose]() {
      await gateway.stop();
      await llm.close();
      await home[Symbol.asyncDispose]();
    },
  };
}

/** Gives each worker a vouched certificate in the owner's home (`ownerEnv`), then starts it. */
export async function vouchAndStart(
  ownerEnv: Record<string, string>,
  workers: readonly Awaited<ReturnType<typeof gateway>>[],
): Promise<void> {
  for (const worker of workers) {
    await vouch(ownerEnv, worker.home, worker.id);
    await worker.start();
  }
}

/** Waits (up to 30 s) until `requester` sees `count` live members, offering `skill` if given. */
export function untilLive(requester: Gateway, count: number, skill?: string): Promise<void> {
  const live = () => requester.membership.live(skill).map((m) => m.agentId);
  return waitFor(() => live().length === count, `the requester to see ${count} live member(s)`, {
    timeoutMs: 30_000,
    state: live,
  });
}

/** The final answer of a task `requester` sent, or an error after `ms`. */
export async function answerWithin(requester: Gateway, taskId: string, ms: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return await Promise.race([
    requester.tasks.requester.answer(taskId)!,
    new Promise<never>((_, reject) =>
      timer = setTimeout(() => reject(new Error(`no answer to ${taskId} within ${ms} ms`)), ms)
    ),
  ]).finally(() => clearTimeout(timer));
}

/**
 * A new signed group made in the home of its owner's gateway `boss` (not started), held by
 * `stack`; `pinned` is what every member's environment adds: the owner's public key and `more`.
 */
export async function signedGroup(
  prefix: string,
  stack: AsyncDisposableStack,
  more: Record<string, string> = {},
) {
  const group = uniqueName(prefix).replaceAll("-", "");
  const boss = stack.use(await gateway(group, "boss", more));
  const made = await kafclaw(["group", "init", "--json"], boss.env);
  assert.equal(made.code, 0, made.stderr);
  const pinned = {
    KAFCLAW_GROUP_OWNER_PUBLIC_KEY: jsonOf(made).owner_public_key,
    ...more,
  };
  return { group, boss, pinned };
}

/** Waits (up to a minute) until `count` workers read the requests of `zone` in `group`. */
export function untilZoneReaders(
  reader: { readonly transport: KafkaTransport },
  at: { readonly group: string; readonly zone: string },
  count: number,
): Promise<void> {
  const readers = () => reader.transport.groupMembers(zoneConsumerGroup(at.group, at.zone));
  return waitFor(async () => (await readers()) === count, `${count} reader(s) of ${at.zone}`, {
    timeoutMs: 60_000,
    state: readers,
  });
}
