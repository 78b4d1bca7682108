/**
 * A group of agents for tests of claim, grant and lease: each agent is a real runtime against its
 * own fake LLM, a {@link TaskIntake} on the group's requests (shared group), its skills' topics and
 * its inbox, and a {@link Requester} on the status stream and the responses topic. The live
 * workers are a {@link LiveWorkerSet} the test holds (the roster's part, built elsewhere).
 *
 * In a signed group (`signed`), the agent joins through a {@link Membership}: what it sends is
 * signed by it, and what its subscriptions receive is verified through its guard, as a gateway's
 * task side does.
 *
 * An agent's link to the broker can be cut (`cut()`): what it sends is lost, as when its process
 * is stopped, while its turn goes on; `restore()` joins it again. `crash()` closes its
 * subscriptions and requester without a word, as a killed process would.
 */
import { join } from "node:path";
import type { AgentRuntime } from "../../core/agent/mod.ts";
import {
  agentKey,
  GroupDelegation,
  GroupSpans,
  LiveWorkerSet,
  Membership,
  openTrust,
  Requester,
  type RequesterAudit,
  TaskIntake,
  type Trust,
} from "../../core/group/mod.ts";
import {
  agentConsumerGroup,
  agentInbox,
  type CertificateBundle,
  type Envelope,
  importPublicKey,
  parseRecord,
  skillConsumerGroup,
  skillRequests,
  topicsFor,
  topicSpec,
  workersConsumerGroup,
} from "../../core/protocol/mod.ts";
import { delegateTaskTool, groupMembersTool } from "../../core/tools/mod.ts";
import type {
  OutboundRecord,
  RecordHandler,
  Subscription,
  Transport,
} from "../../core/transport/mod.ts";
import type { FakeOpenAI } from "../fakes/openai_server.ts";
import { identityOf } from "./group_member.ts";
import { agentRuntime } from "./group_worker.ts";

/** One agent of the group. */
export interface TaskAgent extends AsyncDisposable {
  readonly id: string;
  readonly home: string;
  readonly runtime: AgentRuntime;
  readonly intake: TaskIntake;
  readonly requester: Requester;
  readonly audits: RequesterAudit[];
  /** Every status and response this agent's requester read, in order. */
  readonly seen: Envelope[];
  /** Loses whatever the agent sends from now on. */
  cut(): void;
  restore(): void;
  /** Stops consuming and following, without a word to anyone; the home stays (for a restart). */
  crash(): Promise<void>;
}

/** An agent of a signed group: the owner issued `certificate` to the key in its home's identity/. */
export interface SignedMember {
  readonly certificate: CertificateBundle;
  /** base64url of the owner's public key, as members pin it. */
  readonly ownerPublicKey: string;
}

/** Options of {@link startTaskAgent}. */
export interface TaskAgentOptions {
  readonly group: string;
  readonly agentId: string;
  /** The fake LLM the agent calls (only its URL is used: it may run in another process). */
  readonly llm: Pick<FakeOpenAI, "url">;
  readonly workers: LiveWorkerSet;
  readonly skills?: readonly string[];
  /**
   * Renewal and tick interval (default 1 s, so a 6 s lease): a loaded machine stalls a process
   * longer than the 600 ms lease of a 100 ms interval, and the lease lapses under a busy worker.
   */
  readonly heartbeatIntervalMs?: number;
  /** Silence after which a holder's lease lapses (default 6 intervals). */
  readonly leaseMs?: number;
  readonly grantWaitMs?: number;
  readonly trust?: Trust;
  /** A home of an earlier run of this agent (a restart); default a new one. */
  readonly home?: string;
  /** Work items each of its work subscriptions runs at once (default 8). */
  readonly concurrency?: number;
  /** Whether it takes tasks from the group's requests topic (default true). */
  readonly worker?: boolean;
  readonly env?: Record<string, string>;
  /**
   * Whether the agent records its tasks' steps as spans, stores them and sends them on the traces
   * topic, as a gateway does (default false).
   */
  readonly spans?: boolean;
  /**
   * The agent is a member of a signed group (its `home`, given, holds the certified key): it
   * signs what it sends and verifies what it receives. Default: an open group, nothing signed.
   */
  readonly signed?: SignedMember;
}

/** Creates the group's task topics and the inboxes of `agents`, and the topics of `skills`. */
export async function createTaskTopics(
  transport: Transport,
  group: string,
  agents: readonly string[],
  skills: readonly string[] = [],
): Promise<void> {
  const topics = topicsFor(group);
  const names = [
    topics.requests,
    topics.responses,
    topics.tasksStatus,
    topics.deadLetter,
    topics.traces,
    ...agents.map((a) => agentInbox(group, a)),
    ...skills.map((s) => skillRequests(group, s)),
  ];
  await transport.createTopics(names.map((name) => ({ ...topicSpec(name), replicationFactor: 1 })));
}

/** Starts one agent of the group on `transport`. */
export async function startTaskAgent(
  transport: Transport,
  options: TaskAgentOptions,
): Promise<TaskAgent> {
  const { group, agentId, workers } = options;
  const topics = topicsFor(group);
  const home = options.home ?? await Deno.makeTempDir({ prefix: `kafclaw-${agentId}-` });
  const runtime = await agentRuntime(home, { agentId, llm: options.llm, env: options.env });
  const membership = options.signed === undefined
    ? undefined
    : await joinSigned(transport, { ...options, home, runtime, signed: options.signed });
  const produce = membership
    ? (records: readonly OutboundRecord[]) => membership.send(records)
    : (records: readonly OutboundRecord[]) => transport.produce(records);
  const guard = (handler: RecordHandler) => membership?.guard(handler) ?? handler;
  let linked = true;
  const send = (records: readonly OutboundRecord[]) =>
    linked ? produce(records) : Promise.reject(new Error(`${agentId} is cut off`));
  const audits: RequesterAudit[] = [];
  const interval = options.heartbeatIntervalMs ?? 1000;
  const spans = options.spans
    ? new GroupSpans({ agentId, group, send, store: runtime.timeline.groupTraces })
    : undefined;
  const requester = new Requester({
    agentId,
    group,
    send,
    store: runtime.timeline.groupTasks,
    workers,
    heartbeatIntervalMs: interval,
    leaseMs: options.leaseMs ?? 6 * interval,
    audit: (event) => audits.push(event),
    ...(spans ? { spans } : {}),
  });
  const intake = new TaskIntake({
    agentId,
    door: runtime.door,
    trust: options.trust ?? membership?.trust ?? openTrust,
    send,
    skills: options.skills ?? [],
    heartbeatIntervalMs: interval,
    grantWaitMs: options.grantWaitMs ?? 20 * interval,
    ownRequest: (request) => requester.ownRequest(request),
    ...(spans ? { spans, turns: runtime.timeline } : {}),
    // Kept as a gateway keeps them (the delegation bench runs this agent).
    worked: (task) => runtime.timeline.workedTasks.record(task),
  });
  const delegation = new GroupDelegation({
    agentId,
    group,
    requester,
    workers,
    taskOf: (session) => intake.taskOf(session),
  });
  runtime.tools.register(delegateTaskTool(delegation), groupMembersTool(delegation));
  const seen: Envelope[] = [];
  const offsets = new Set<string>();
  const subscriptions: Subscription[] = [];
  const own = agentConsumerGroup(group, agentId);
  subscriptions.push(
    await transport.subscribe({
      kind: "stream",
      topics: [topics.tasksStatus, topics.responses, ...(spans ? [topics.traces] : [])],
      groupId: `${own}.tasks`,
      fromBeginning: true,
      handler: guard((record) => {
        if (record.topic === topics.traces) return spans?.handle(record);
        // Each record once, however often the transport delivers it.
        const at = `${record.topic}:${record.partition}:${record.offset}`;
        const parsed = parseRecord(record);
        if (parsed.ok && !offsets.has(at)) seen.push(parsed.envelope);
        offsets.add(at);
        if (record.topic === topics.responses) return requester.handleResponse(record);
        return Promise.all([requester.handleStatus(record), intake.handleStatus(record)])
          .then(([mine, grant]) => mine ?? grant);
      }),
    }),
    await transport.subscribe({
      kind: "work",
      topics: [agentInbox(group, agentId)],
      groupId: own,
      deadLetterTopic: topics.deadLetter,
      handler: guard(intake.handle),
      concurrency: options.concurrency ?? 8,
    }),
  );
  if (options.worker ?? true) {
    subscriptions.push(
      await transport.subscribe({
        kind: "work",
        topics: [topics.requests],
        groupId: workersConsumerGroup(group),
        deadLetterTopic: topics.deadLetter,
        handler: guard(intake.handle),
        concurrency: options.concurrency ?? 8,
      }),
    );
    for (const skill of options.skills ?? []) {
      subscriptions.push(
        await transport.subscribe({
          kind: "work",
          topics: [skillRequests(group, skill)],
          groupId: skillConsumerGroup(group, skill),
          deadLetterTopic: topics.deadLetter,
          handler: guard(intake.handle),
        }),
      );
    }
  }
  requester.start();
  let crashed = false;
  const crash = async () => {
    if (crashed) return;
    crashed = true;
    linked = false;
    requester.close();
    await Promise.all(subscriptions.map((s) => s.close()));
    await membership?.close();
  };
  return {
    id: agentId,
    home,
    runtime,
    intake,
    requester,
    audits,
    seen,
    cut: () => linked = false,
    restore: () => linked = true,
    crash,
    async [Symbol.asyncDispose]() {
      await crash();
      await runtime.close();
    },
  };
}

/** Joins the signed group as `home`'s certified key, with the agent's timeline as its store. */
async function joinSigned(
  transport: Transport,
  options: TaskAgentOptions & { home: string; runtime: AgentRuntime; signed: SignedMember },
): Promise<Membership> {
  const key = await agentKey(join(options.home, "identity"));
  const { agentId, signed } = options;
  return await Membership.start({
    group: options.group,
    transport,
    identity: identityOf(agentId, key.publicKeyText, {
      intervalMs: options.heartbeatIntervalMs ?? 1000,
    }),
    security: "signed",
    signer: { keyId: agentId, privateKey: key.privateKey, certificate: signed.certificate },
    ownerKey: await importPublicKey(signed.ownerPublicKey),
    store: options.runtime.timeline,
  });
}

/** The responses among what an agent's requester read, by task id. */
export function responsesOf(agent: TaskAgent, taskId: string): Envelope[] {
  return agent.seen.filter((e) =>
    (e.type === "response" || e.type === "skill_response") && e.correlation_id === taskId
  );
}

/** The statuses among what an agent's requester read, of one task, as `worker:status@attempt`. */
export function statusesOf(agent: TaskAgent, taskId: string): string[] {
  return agent.seen.flatMap((e) =>
    e.type === "task_status" && e.correlation_id === taskId
      ? [`${e.payload.worker_id}:${e.payload.status}@${e.payload.attempt}`]
      : []
  );
}

/** A request payload as this project's requesters send it, with the given fields over defaults. */
export function taskPayload(
  requester: string,
  fields: Record<string, unknown> & { task_id: string; content: string },
): Record<string, unknown> {
  return {
    attempt: 1,
    description: "",
    requester_id: requester,
    original_requester_id: requester,
    delegation: { depth: 0, chain: [requester], budget: { tasks: 3, tokens: 100_000 } },
    deadline_at: new Date(Date.now() + 120_000).toISOString(),
    arbiter: "requester",
    ...fields,
  };
}
