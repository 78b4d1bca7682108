/**
 * A worker agent on a group's requests topic, for tests of the path from a task record to a turn
 * and back: a real agent runtime against the fake LLM, its door behind a {@link TaskIntake} on a
 * `work` subscription of the given transport, and a reader of the responses it sends.
 */
import { resolvePrepared } from "../../core/config/mod.ts";
import { type AgentRuntime, createAgentRuntime } from "../../core/agent/mod.ts";
import {
  type AuditEvent,
  openTrust,
  TaskIntake,
  type TaskLimits,
  type Trust,
} from "../../core/group/mod.ts";
import {
  deadLetterTopicFor,
  type Envelope,
  parseRecord,
  topicsFor,
  topicSpec,
  workersConsumerGroup,
  zoneTopic,
} from "../../core/protocol/mod.ts";
import type { InboundRecord, Subscription, Transport } from "../../core/transport/mod.ts";
import type { FakeOpenAI } from "../fakes/openai_server.ts";
import { followTopic } from "./topic_records.ts";

/** The worker, the records it answered with, and the dead letters of its subscription. */
export interface GroupWorker extends AsyncDisposable {
  readonly runtime: AgentRuntime;
  /** Each response with the topic it was sent on. */
  readonly responses: { topic: string; envelope: Envelope }[];
  readonly letters: Record<string, unknown>[];
  readonly subscription: Subscription;
}

/** A request envelope as a foreign agent writes it: the fields PROTOCOL.md requires, no more. */
export function requestRecord(
  topic: string,
  task: { id: string; content: string; from?: string; to?: string; deadline?: string },
): { topic: string; key: string; value: string } {
  const envelope = {
    type: "request",
    correlation_id: task.id,
    sender_id: task.from ?? "py-agent",
    timestamp: new Date().toISOString(),
    payload: {
      task_id: task.id,
      description: "",
      content: task.content,
      requester_id: task.from ?? "py-agent",
      ...(task.to ? { target_id: task.to } : {}),
      ...(task.deadline ? { deadline_at: task.deadline } : {}),
    },
  };
  return { topic, key: task.id, value: JSON.stringify(envelope) };
}

/** An agent's runtime in `home`, against the fake LLM, with more config from `env`. */
export async function agentRuntime(
  home: string,
  options: {
    agentId: string;
    llm: Pick<FakeOpenAI, "url">;
    env?: Record<string, string> | undefined;
  },
): Promise<AgentRuntime> {
  const config = await resolvePrepared({
    home,
    env: {
      KAFCLAW_MODEL: "openai/gpt-test",
      OPENAI_BASE_URL: options.llm.url,
      OPENAI_API_KEY: "sk-test",
      KAFCLAW_GROUP_AGENT_ID: options.agentId,
      KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
      ...options.env,
    },
  });
  return await createAgentRuntime(config, {});
}

/** Starts worker `agentId` of group `group` (topics created, zones' too) on `transport`. */
export async function startGroupWorker(
  transport: Transport,
  options: {
    group: string;
    agentId: string;
    llm: FakeOpenAI;
    zones?: readonly string[];
    trust?: Trust;
    /** More of the agent's configuration, as environment variables. */
    env?: Record<string, string>;
    /** What the intake tells the group's audit. */
    audit?: (event: AuditEvent) => void;
    /** The intake's depth, budget, deadline and clock skew (default the protocol's). */
    limits?: TaskLimits;
    /** What the intake says of a failed turn. */
    warn?: (line: string) => void;
    /** What the intake's runs wait for before they start (TaskIntakeDeps `runsAfter`). */
    runsAfter?: Promise<boolean>;
  },
): Promise<GroupWorker> {
  const { group, agentId } = options;
  const topics = topicsFor(group);
  const zoned = (options.zones ?? []).flatMap((z) => [
    zoneTopic(group, z, "requests"),
    zoneTopic(group, z, "responses"),
    zoneTopic(group, z, "tasks.status"),
    zoneTopic(group, z, "dead-letter"),
  ]);
  const names = [
    topics.requests,
    topics.responses,
    topics.tasksStatus,
    topics.deadLetter,
    ...zoned,
  ];
  await transport.createTopics(names.map((name) => ({ ...topicSpec(name), replicationFactor: 1 })));
  const home = await Deno.makeTempDir({ prefix: "kafclaw-worker-" });
  const runtime = await agentRuntime(home, { agentId, llm: options.llm, env: options.env });
  const intake = new TaskIntake({
    agentId,
    door: runtime.door,
    trust: options.trust ?? openTrust,
    send: (records) => transport.produce(records),
    ...(options.audit ? { audit: options.audit } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.warn ? { warn: options.warn } : {}),
    ...(options.runsAfter ? { runsAfter: options.runsAfter } : {}),
  });
  const requestTopics = [topics.requests, ...zoned.filter((t) => t.endsWith(".requests"))];
  const subscription = await transport.subscribe({
    kind: "work",
    topics: requestTopics,
    groupId: workersConsumerGroup(group),
    deadLetterTopic: deadLetterTopicFor(topics.requests),
    handler: intake.handle,
  });
  const responses: { topic: string; envelope: Envelope }[] = [];
  const letters: Record<string, unknown>[] = [];
  const reader = await followTopic(transport, [
    topics.responses,
    topics.deadLetter,
    ...zoned.filter((t) => t.endsWith(".responses") || t.endsWith(".dead-letter")),
  ], (record: InboundRecord) => {
    if (record.topic.endsWith("dead-letter")) {
      letters.push(JSON.parse(new TextDecoder().decode(record.value)));
      return;
    }
    const parsed = parseRecord(record);
    if (!parsed.ok) {
      throw new Error(`the worker sent an invalid response: ${parsed.error.message}`);
    }
    responses.push({ topic: record.topic, envelope: parsed.envelope });
  });
  return {
    runtime,
    responses,
    letters,
    subscription,
    async [Symbol.asyncDispose]() {
      await subscription.close();
      await reader.close();
      await runtime.close();
      await Deno.remove(home, { recursive: true });
    },
  };
}
