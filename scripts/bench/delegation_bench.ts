/**
 * Delegation round trips through the group layer on a real broker, against a raw kafkajs
 * produce → consume ping-pong on the same broker (`deno task bench --filter delegation`; the
 * summary at the end prints p50 and p99 with the targets of issue 10). The worker agent runs in a
 * process of its own (_delegation_worker.ts), as agents on two machines do, except where said:
 *
 * - the pure path: a requester agent sends a task with `arbiter: "none"`; a worker agent claims
 *   it (the claim is the grant), runs the turn against a fake LLM that answers at once, and
 *   responds; the requester keeps the final answer (targets: at most 1.3x at p50, 1.5x at p99);
 * - the same with both agents in the bench's one process, on one event loop (the raw ping-pong's
 *   arrangement), and the raw ping-pong with its worker in a process of its own (the pure path's);
 * - the same with the worker's fake LLM in a process of its own (in the other rows it runs in the
 *   worker's process, which a real LLM never does), with its steps;
 * - the grant path: the same with `arbiter: "requester"`, so the worker answers only once the
 *   requester has granted its claim (claim → assigned → response);
 * - the group protocol alone: the pure path with a worker whose door answers at once, no turn;
 * - the worker's turn alone, without Kafka (the same fake LLM, a task session of its own): the
 *   part of a round trip that is the agent's own work, not the group layer's;
 * - the raw ping-pong whose worker runs that same turn before it answers (the agent of the
 *   one-process row, its fake LLM, a task session of its own): a minimal Kafka integration of the
 *   same agent, so that the summary shows what the group layer costs over it;
 * - the pure path and the group protocol alone again in a signed group (_signed_group.ts), the
 *   default security mode: each agent signs what it sends and verifies what it receives through
 *   its membership's guard, so that the summary shows what signing costs a delegation;
 * - where the milliseconds of the pure path and of the group protocol alone go: the median offset
 *   from the send of each produce call, each record received and the worker's turn, and when each
 *   side's sockets write and read the request's and the response's bytes, on both processes
 *   (_steps.ts), beside the same steps of the raw ping-pong's isolated round trips.
 *
 * Both agents record, store and send their tasks' spans, as gateways do (the traces topic is on
 * the path: a span sent just before a response delays it).
 *
 * Each round trip is isolated (the system idle before it) and paired with one of the other side.
 * It needs the broker that `scripts/kafka start` runs (or KAFCLAW_TEST_BROKERS); without one it
 * says so and measures nothing.
 */
import { DelegationPair } from "./_delegation_pairs.ts";
import { brokersForBench, noBroker, RawPingPong } from "./_kafka_pairs.ts";
import { Samples } from "./_paired.ts";
import { Steps, watchSockets } from "./_steps.ts";

const RAW = "delegation: raw kafkajs ping-pong";
const RAW_APART = "delegation: raw kafkajs ping-pong, the worker in its own process";
const PURE = "delegation: group layer, arbiter none";
const ONE = "delegation: group layer, arbiter none, one process";
const APART = "delegation: group layer, arbiter none, the fake LLM in its own process";
const GRANT = "delegation: group layer, claim, grant, response";
const ECHO = "delegation: group layer, arbiter none, no turn";
const TURN = "delegation: the worker's turn alone, no Kafka";
const RAW_TURN = "delegation: raw kafkajs ping-pong, the worker's turn before it answers";
const SIGNED = "delegation: signed group, arbiter none";
const SIGNED_ECHO = "delegation: signed group, arbiter none, no turn";
const ISOLATION_GAP_MS = 60;
/** The pure path with the worker's fake LLM in a process of its own. */
const pureApart = { arbiter: "none", llmApart: true } as const;

const brokers = await brokersForBench();
const samples = new Samples();

if (brokers === undefined) {
  console.log(noBroker("delegation bench"));
} else {
  // The raw ping-pong's steps, under the same names, print beside the group layer's.
  // Only its isolated round trips (the baseline's): each row's other side runs just after one of
  // the group layer's, on a system not yet idle again, and is faster for it.
  const rawSteps = new Steps();
  const raw = await RawPingPong.start(brokers, { commits: true, steps: rawSteps });
  // The pure path's worker runs in a process of its own: so does this raw worker.
  const rawApart = await RawPingPong.start(brokers, { commits: true, worker: "apart" });
  // The agents record, store and send their tasks' spans, as gateways do.
  const spans = true;
  const steps = new Steps();
  const pure = await DelegationPair.start(brokers, { arbiter: "none", steps, spans });
  const one = await DelegationPair.start(brokers, { arbiter: "none", worker: "here", spans });
  const apartSteps = new Steps();
  const apart = await DelegationPair.start(brokers, { ...pureApart, steps: apartSteps, spans });
  // The one-process pair's worker agent runs the turn: the same agent set-up and fake LLM.
  const rawTurn = await RawPingPong.start(brokers, { commits: true, turn: () => one.turnAlone() });
  const grant = await DelegationPair.start(brokers, { arbiter: "requester", spans });
  const echoSteps = new Steps();
  const noTurn = { arbiter: "none", echo: true, spans } as const;
  const echo = await DelegationPair.start(brokers, { ...noTurn, steps: echoSteps });
  const signed = await DelegationPair.start(brokers, { arbiter: "none", spans, signed: true });
  const signedEchoSteps = new Steps();
  const signedEcho = await DelegationPair.start(brokers, {
    ...noTurn,
    steps: signedEchoSteps,
    signed: true,
  });
  // The sockets of this process mark where a round trip's request and response are written and
  // read (the worker's process marks its own); the ids are unique, so one Steps keeps each.
  const everySteps = [rawSteps, steps, apartSteps, echoSteps, signedEchoSteps];
  watchSockets((id, step, at) => everySteps.forEach((s) => s.mark(id, step, at)));
  const gap = () => new Promise((r) => setTimeout(r, ISOLATION_GAP_MS));
  const group = "delegation: round trip";
  const options = { group, n: 100, warmup: 10 };
  const against = (name: string, mine: () => Promise<void>) =>
    Deno.bench(name, options, samples.paired(name, () => raw.roundTrip().then(gap), mine));

  Deno.bench(
    RAW,
    { ...options, baseline: true },
    samples.paired(RAW, () => pure.roundTrip().then(gap), () => raw.roundTrip({ marked: true })),
  );
  against(RAW_APART, () => rawApart.roundTrip());
  against(PURE, () => pure.roundTrip());
  against(ONE, () => one.roundTrip());
  against(APART, () => apart.roundTrip());
  against(GRANT, () => grant.roundTrip());
  against(ECHO, () => echo.roundTrip());
  against(TURN, () => one.turnAlone());
  against(RAW_TURN, () => rawTurn.roundTrip());
  against(SIGNED, () => signed.roundTrip());
  against(SIGNED_ECHO, () => signedEcho.roundTrip());

  globalThis.addEventListener("unload", () => {
    if (samples.size === 0) return;
    console.log("\ndelegation: this machine, this run (raw kafkajs measured alongside)");
    samples.line("pure path (arbiter none), p50", PURE, RAW, 0.5, "<= 1.3x");
    samples.line("pure path (arbiter none), p99", PURE, RAW, 0.99, "<= 1.5x");
    // The same arrangement on both sides: each worker in a process of its own.
    samples.line("pure path / raw, each worker apart, p50", PURE, RAW_APART, 0.5, "none");
    samples.line("pure path / raw, each worker apart, p99", PURE, RAW_APART, 0.99, "none");
    samples.line("pure path, one process, p50", ONE, RAW, 0.5, "none");
    samples.line("pure path, one process, p99", ONE, RAW, 0.99, "none");
    samples.line("pure path, the fake LLM apart, p50", APART, RAW, 0.5, "none");
    samples.line("pure path, the fake LLM apart, p99", APART, RAW, 0.99, "none");
    samples.line("grant path, p50", GRANT, RAW, 0.5, "none");
    samples.line("grant path, p99", GRANT, RAW, 0.99, "none");
    samples.line("group protocol, no turn, p50", ECHO, RAW, 0.5, "none");
    samples.line("group protocol, no turn, p99", ECHO, RAW, 0.99, "none");
    samples.line("the worker's turn alone, p50", TURN, RAW, 0.5, "none");
    samples.line("raw + the worker's turn, p50", RAW_TURN, RAW, 0.5, "none");
    samples.line("raw + the worker's turn, p99", RAW_TURN, RAW, 0.99, "none");
    // What the group layer costs over a minimal Kafka integration of the same agent.
    samples.line("pure path / raw + turn, p50", PURE, RAW_TURN, 0.5, "none");
    samples.line("pure path / raw + turn, p99", PURE, RAW_TURN, 0.99, "none");
    samples.line("one process / raw + turn, p50", ONE, RAW_TURN, 0.5, "none");
    samples.line("signed group, pure path, p50", SIGNED, RAW, 0.5, "none");
    samples.line("signed group, pure path, p99", SIGNED, RAW, 0.99, "none");
    samples.line("signed group, no turn, p50", SIGNED_ECHO, RAW, 0.5, "none");
    samples.line("signed group, no turn, p99", SIGNED_ECHO, RAW, 0.99, "none");
    const beside = { name: "raw kafkajs", steps: rawSteps };
    steps.print("the pure path, step by step (the worker in its own process)", beside);
    apartSteps.print("the pure path, step by step, the worker's fake LLM in its own process");
    echoSteps.print(
      "the group protocol alone, step by step (a worker that answers at once)",
      beside,
    );
    signedEchoSteps.print(
      "the group protocol alone in a signed group, step by step",
      { name: "the open group's", steps: echoSteps },
    );
    // The clients and the worker processes end with this process; closing them here would race
    // the unload.
  });
}
