/**
 * A delegation through the group layer for the delegation bench: two agents, each a real agent
 * runtime on its own Kafka transport, as the tests build them (tests/_support/task_group.ts). The
 * requester sends a task with its Requester to the group's requests topic and waits for the final
 * answer; the worker's TaskIntake claims it, runs the turn against a fake LLM that answers at
 * once, and responds. With `arbiter: "none"` the claim is the grant; with `"requester"` the
 * worker waits for the requester's `assigned` before it answers.
 */
import { LiveWorkerSet } from "../../core/group/mod.ts";
import { topicsFor } from "../../core/protocol/mod.ts";
import { KafkaTransport } from "../../core/transport/mod.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../../tests/fakes/openai_server.ts";
import {
  createTaskTopics,
  startTaskAgent,
  type TaskAgent,
  taskPayload,
} from "../../tests/_support/task_group.ts";
import type { Steps } from "./_steps.ts";

/** How the worker learns it may answer: the claim itself, or the requester's grant. */
export type Arbiter = "none" | "requester";

/** A requester and a worker of one group, on their own transports. */
export class DelegationPair {
  readonly #requester: TaskAgent;
  readonly #worker: TaskAgent;
  readonly #group: string;
  readonly #requests: string;
  readonly #arbiter: Arbiter;
  readonly #closers: (() => PromiseLike<unknown>)[];
  readonly #steps: Steps | undefined;
  #next = 0;

  private constructor(
    agents: { requester: TaskAgent; worker: TaskAgent },
    group: string,
    arbiter: Arbiter,
    closers: (() => PromiseLike<unknown>)[],
    steps: Steps | undefined,
  ) {
    this.#requester = agents.requester;
    this.#worker = agents.worker;
    this.#group = group;
    this.#requests = topicsFor(group).requests;
    this.#arbiter = arbiter;
    this.#closers = closers;
    this.#steps = steps;
  }

  /** With `steps`, each round trip's steps are marked there (see _steps.ts). */
  static async start(
    brokers: string[],
    arbiter: Arbiter,
    steps?: Steps,
  ): Promise<DelegationPair> {
    const group = `bench-${crypto.randomUUID().slice(0, 8)}`;
    const [a, b] = ["requester", "worker"].map((id) =>
      new KafkaTransport({ brokers, clientId: `bench-${id}` })
    );
    steps?.watch("requester", a!);
    steps?.watch("worker", b!);
    await createTaskTopics(a!, group, ["req", "wk"]);
    const llm: FakeOpenAI = await startFakeOpenAI({ fallback: { text: "42" } });
    const workers = new LiveWorkerSet([
      { agentId: "wk", skills: [], load: { running: 0, capacity: 4 } },
    ]);
    // Production's heartbeat interval, so the requester's watch does not tick through the bench.
    const common = {
      group,
      llm,
      workers,
      heartbeatIntervalMs: 10_000,
      env: { KAFCLAW_POLICY_REQUESTS_PER_MINUTE: "0" },
    };
    const requester = await startTaskAgent(a!, { ...common, agentId: "req", worker: false });
    const worker = await startTaskAgent(b!, { ...common, agentId: "wk" });
    steps?.watchTurns("worker", worker.runtime.door);
    const closers = [
      () => requester[Symbol.asyncDispose](),
      () => worker[Symbol.asyncDispose](),
      () => a!.close(),
      () => b!.close(),
      () => llm.close(),
    ];
    const pair = new DelegationPair({ requester, worker }, group, arbiter, closers, steps);
    // The worker's group holds the requests' partitions once a first task is answered.
    await pair.roundTrip();
    return pair;
  }

  /** One task sent and its final answer received. */
  async roundTrip(): Promise<void> {
    const taskId = `t-${this.#next++}`;
    this.#steps?.begin(true);
    this.#steps?.mark("requester sends");
    await this.#requester.requester.send({
      type: "request",
      payload: taskPayload("req", {
        task_id: taskId,
        content: "What is the answer?",
        arbiter: this.#arbiter,
      }),
      taint: "trusted",
    }, { topic: this.#requests });
    const answer = await this.#requester.requester.answer(taskId);
    this.#steps?.mark("requester has the answer");
    if (answer?.status !== "completed") {
      throw new Error(`Task ${taskId} ended ${answer?.status}: ${JSON.stringify(answer)}`);
    }
  }

  /**
   * The worker's turn alone, as its intake runs one for a task (a session of its own, the fake
   * LLM answering at once), with no Kafka: what of a round trip is the agent's, not the group's.
   */
  async turnAlone(): Promise<void> {
    this.#steps?.begin(false);
    const result = await this.#worker.runtime.door.enter({
      source: {
        kind: "task",
        group: this.#group,
        from: "req",
        vouched: false,
        taint: "trusted",
        scope: { zones: ["public"] },
      },
      sessionKey: `task:alone-${this.#next++}`,
      text: "What is the answer?",
    });
    if (result.kind !== "turn") throw new Error(`The turn was ${result.kind}: ${result.content}`);
  }

  async close(): Promise<void> {
    for (const close of this.#closers) await Promise.resolve(close()).catch(() => {});
  }
}
