/**
 * A delegation through the group layer for the delegation bench: two agents, each a real agent
 * runtime on its own Kafka transport, as the tests build them (tests/_support/task_group.ts). The
 * requester sends a task with its Requester to the group's requests topic and waits for the final
 * answer; the worker's TaskIntake claims it, runs the turn against a fake LLM that answers at
 * once, and responds. With `arbiter: "none"` the claim is the grant; with `"requester"` the
 * worker waits for the requester's `assigned` before it answers.
 *
 * The worker runs in a process of its own (_delegation_worker.ts), as agents on two machines do,
 * or (`worker: "here"`) in the bench's process, on the requester's event loop.
 *
 * With `signed`, the group is a signed one (_signed_group.ts), the default security mode: each
 * agent signs what it sends and verifies what it receives through its membership's guard.
 */
import { topicsFor } from "../../core/protocol/mod.ts";
import { loadKafka } from "../../core/transport/mod.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../../tests/fakes/openai_server.ts";
import {
  createTaskTopics,
  startTaskAgent,
  type TaskAgent,
  taskPayload,
} from "../../tests/_support/task_group.ts";
import { BENCH_AGENTS, benchWorkers } from "./_delegation_worker.ts";
import { type AdmittedAgent, makeSignedGroup } from "./_signed_group.ts";
import { type Steps, watchTransport, watchTurns } from "./_steps.ts";

const { KafkaTransport } = await loadKafka();

/** How the worker learns it may answer: the claim itself, or the requester's grant. */
export type Arbiter = "none" | "requester";

/** How a {@link DelegationPair} is set up. */
export interface PairOptions {
  readonly arbiter: Arbiter;
  /** Where the worker runs: its own process (default) or this one. */
  readonly worker?: "process" | "here";
  /** The worker answers at once, without a turn (its own process only). */
  readonly echo?: boolean;
  /** Each round trip's steps are marked there (_steps.ts). */
  readonly steps?: Steps;
  /** Both agents record, store and send their tasks' spans, as gateways do. */
  readonly spans?: boolean;
  /** The worker's fake LLM runs in a process of its own (the worker's own process only). */
  readonly llmApart?: boolean;
  /** The group is a signed one: every record on the path is signed and verified. */
  readonly signed?: boolean;
}

/** Task ids are unique in the process, so that a step marked by its id alone has one pair. */
let taskIds = 0;
const HERE = new URL(".", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const common = {
  heartbeatIntervalMs: 10_000,
  env: { KAFCLAW_POLICY_REQUESTS_PER_MINUTE: "0" },
};

/** A requester and a worker of one group, on their own transports. */
export class DelegationPair {
  readonly #requester: TaskAgent;
  readonly #worker: TaskAgent | undefined;
  readonly #group: string;
  readonly #options: PairOptions;
  readonly #closers: (() => PromiseLike<unknown>)[];
  #next = 0;

  private constructor(
    agents: { requester: TaskAgent; worker: TaskAgent | undefined },
    group: string,
    options: PairOptions,
    closers: (() => PromiseLike<unknown>)[],
  ) {
    this.#requester = agents.requester;
    this.#worker = agents.worker;
    this.#group = group;
    this.#options = options;
    this.#closers = closers;
  }

  static async start(brokers: string[], options: PairOptions): Promise<DelegationPair> {
    const group = `bench-${crypto.randomUUID().slice(0, 8)}`;
    const transport = new KafkaTransport({ brokers, clientId: "bench-requester" });
    const closers: (() => PromiseLike<unknown>)[] = [];
    const { steps } = options;
    if (steps) watchTransport("requester", transport, steps.mark);
    const signedGroup = options.signed ? await makeSignedGroup(transport, group) : undefined;
    const admitted = async (agentId: string) =>
      signedGroup === undefined ? undefined : await signedGroup.admitAgent(agentId);
    await createTaskTopics(transport, group, [BENCH_AGENTS.requester, BENCH_AGENTS.worker]);
    const llm: FakeOpenAI = await startFakeOpenAI({ fallback: { text: "42" } });
    const shared = {
      ...common,
      group,
      llm,
      workers: benchWorkers(),
      spans: options.spans ?? false,
    };
    let worker: TaskAgent | undefined;
    if (options.worker === "here") {
      const other = new KafkaTransport({ brokers, clientId: "bench-worker" });
      if (steps) watchTransport("worker", other, steps.mark);
      worker = await startTaskAgent(other, {
        ...shared,
        ...await admitted(BENCH_AGENTS.worker),
        agentId: BENCH_AGENTS.worker,
      });
      if (steps) watchTurns("worker", worker.runtime.door, steps.mark);
      closers.push(() => worker![Symbol.asyncDispose](), () => other.close());
    } else {
      const member = await admitted(BENCH_AGENTS.worker);
      closers.push(
        await spawnWorker(brokers, group, options, member),
      );
    }
    const requester = await startTaskAgent(transport, {
      ...shared,
      ...await admitted(BENCH_AGENTS.requester),
      agentId: BENCH_AGENTS.requester,
      worker: false,
    });
    closers.unshift(() => requester[Symbol.asyncDispose]());
    closers.push(() => transport.close(), () => llm.close());
    const pair = new DelegationPair({ requester, worker }, group, options, closers);
    // The worker's group holds the requests' partitions once a first task is answered.
    await pair.roundTrip();
    return pair;
  }

  /** The group's name. */
  get group(): string {
    return this.#group;
  }

  /** One task sent and its final answer received. */
  async roundTrip(): Promise<void> {
    const taskId = `t-${taskIds++}`;
    this.#options.steps?.begin(taskId, this.#next++ > 0);
    await this.#requester.requester.send({
      type: "request",
      payload: taskPayload(BENCH_AGENTS.requester, {
        task_id: taskId,
        content: "What is the answer?",
        arbiter: this.#options.arbiter,
      }),
      taint: "trusted",
    }, { topic: topicsFor(this.#group).requests });
    const answer = await this.#requester.requester.answer(taskId);
    this.#options.steps?.mark(taskId, "requester has the answer");
    if (answer?.status !== "completed") {
      throw new Error(`Task ${taskId} ended ${answer?.status}: ${JSON.stringify(answer)}`);
    }
  }

  /**
   * The worker's turn alone, as its intake runs one for a task (a session of its own, the fake
   * LLM answering at once), with no Kafka: what of a round trip is the agent's, not the group's.
   * Only for a pair whose worker runs here.
   */
  async turnAlone(): Promise<void> {
    if (this.#worker === undefined) throw new TypeError("The worker runs in another process");
    const result = await this.#worker.runtime.door.enter({
      source: {
        kind: "task",
        group: this.#group,
        from: BENCH_AGENTS.requester,
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

/**
 * Deno flags for the worker's process from `KAFCLAW_BENCH_WORKER_FLAGS` (space-separated), to
 * profile it: `KAFCLAW_BENCH_WORKER_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof"`.
 */
function workerDenoFlags(): string[] {
  return (Deno.env.get("KAFCLAW_BENCH_WORKER_FLAGS") ?? "").split(" ").filter((f) => f !== "");
}

/** Spawns the worker's process and waits until it takes tasks; resolves with its closer. */
async function spawnWorker(
  brokers: string[],
  group: string,
  options: PairOptions,
  signed: AdmittedAgent | undefined,
): Promise<() => Promise<unknown>> {
  const flags = [
    ...(signed ? [`--signed=${JSON.stringify(signed)}`] : []),
    ...(options.steps ? ["--steps"] : []),
    ...(options.echo ? ["--echo"] : []),
    ...(options.spans ? ["--spans"] : []),
    ...(options.llmApart ? ["--llm-apart"] : []),
  ];
  const script = [`${HERE}_delegation_worker.ts`, brokers.join(","), group, ...flags];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-P=test", ...workerDenoFlags(), ...script],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const ready = Promise.withResolvers<void>();
  const reading = (async () => {
    let rest = "";
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + text).split("\n");
      rest = lines.pop()!;
      for (const line of lines) {
        if (line === "ready") ready.resolve();
        else options.steps?.read(line);
      }
    }
    ready.reject(new Error("The bench's worker process ended before it was ready"));
  })();
  await ready.promise;
  return async () => {
    await child.stdin.close();
    await child.status;
    await reading;
  };
}
