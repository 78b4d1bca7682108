/**
 * The worker agent of the delegation bench, in a process of its own (agents on different machines
 * is what users run): a real agent runtime on its own Kafka transport against a fake LLM that
 * answers at once (in this process), taking the group's tasks as tests build it
 * (tests/_support/task_group.ts). The bench spawns it with its own permission set:
 *
 *     deno run -P=test scripts/bench/_delegation_worker.ts <brokers> <group> [--steps] [--echo]
 *       [--spans] [--llm-apart] [--signed=<json>]
 *
 * It prints `ready` once it takes tasks; with `--steps`, a line per step of each round trip
 * (_steps.ts); with `--echo`, its door answers every task at once without a turn (what the group
 * protocol costs by itself); with `--spans`, it records and sends its tasks' spans as a gateway
 * does; with `--llm-apart`, its fake LLM runs in a process of its own, as a real LLM never runs
 * in the agent's process; with `--signed`, it is a member of a signed group, its home and
 * certificate given as the JSON of an AdmittedAgent (_signed_group.ts), and signs what it sends
 * and verifies what it receives. It ends when its stdin closes.
 */
import type { Door } from "../../core/agent/mod.ts";
import { LiveWorkerSet } from "../../core/group/mod.ts";
import { loadKafka } from "../../core/transport/mod.ts";
import { startFakeOpenAI } from "../../tests/fakes/openai_server.ts";
import { Child } from "../../tests/_support/child.ts";
import { startTaskAgent } from "../../tests/_support/task_group.ts";
import type { AdmittedAgent } from "./_signed_group.ts";
import { stepLine, watchSockets, watchTransport, watchTurns } from "./_steps.ts";

const { KafkaTransport } = await loadKafka();

/** The agent ids of the bench's pair. */
export const BENCH_AGENTS = { requester: "req", worker: "wk" } as const;

/** The group's live workers as both agents of the pair see them: the worker alone. */
export function benchWorkers(): LiveWorkerSet {
  return new LiveWorkerSet([
    { agentId: BENCH_AGENTS.worker, skills: [], load: { running: 0, capacity: 4 } },
  ]);
}

/** A door that answers every message at once, with no turn: the group layer's cost alone. */
export function echoDoor(): Pick<Door, "enter"> {
  return {
    enter: () =>
      Promise.resolve({
        kind: "turn",
        content: "42",
        turn: {
          content: "42",
          stopped: "answer",
          iterations: 1,
          usage: { promptTokens: 0, completionTokens: 0 },
          taint: "trusted",
        },
      }),
  };
}

/** How long after a round trip's last step its step lines are printed. */
const STEPS_QUIET_MS = 30;

/**
 * Prints step lines once the worker has been quiet for {@link STEPS_QUIET_MS}, all at once: a line
 * written to the pipe as each step happens would cost the round trip a write of its own, each.
 */
function stepPrinter(): (line: string) => void {
  const lines: string[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (line) => {
    lines.push(line);
    clearTimeout(timer);
    timer = setTimeout(() => console.log(lines.splice(0).join("\n")), STEPS_QUIET_MS);
  };
}

/** The fake LLM answering "42" at once, in a process of its own; `close` ends it. */
async function fakeLlmProcess(): Promise<{ url: string; close(): Promise<void> }> {
  const script = await Deno.makeTempFile({ prefix: "kafclaw-bench-llm-", suffix: ".json" });
  await Deno.writeTextFile(script, JSON.stringify({ fallback: { text: "42" } }));
  const fake = new URL("../../tests/fakes/openai_server.ts", import.meta.url).pathname;
  const child = new Child(
    new Deno.Command(Deno.execPath(), {
      // It ends with this process, however this one ends: its stdin is this process's pipe.
      args: ["run", "-P=test", fake, "--script", script, "--with-stdin"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }),
  );
  // Its first line is its base URL.
  await child.until(/\n/);
  return {
    url: child.stdout.split("\n")[0]!,
    async close() {
      await child.stop();
      await Deno.remove(script);
    },
  };
}

if (import.meta.main) {
  const [brokers, group, ...flags] = Deno.args;
  if (!brokers || !group) throw new TypeError("Usage: _delegation_worker.ts <brokers> <group>");
  const transport = new KafkaTransport({ brokers: brokers.split(","), clientId: "bench-worker" });
  const llm = flags.includes("--llm-apart")
    ? await fakeLlmProcess()
    : await startFakeOpenAI({ fallback: { text: "42" } });
  const out = stepPrinter();
  if (flags.includes("--steps")) {
    watchTransport("worker", transport, (id, step, at) => out(stepLine(id, step, at)));
    watchSockets((id, step, at) => out(stepLine(id, step, at)), "worker");
  }
  const signedFlag = flags.find((f) => f.startsWith("--signed="));
  const signed = signedFlag && JSON.parse(signedFlag.slice("--signed=".length)) as AdmittedAgent;
  const worker = await startTaskAgent(transport, {
    ...(signed ? signed : {}),
    group,
    agentId: BENCH_AGENTS.worker,
    llm,
    workers: benchWorkers(),
    heartbeatIntervalMs: 10_000,
    env: { KAFCLAW_POLICY_REQUESTS_PER_MINUTE: "0" },
    spans: flags.includes("--spans"),
  });
  const door = worker.runtime.door as Door;
  if (flags.includes("--echo")) door.enter = echoDoor().enter as Door["enter"];
  if (flags.includes("--steps")) {
    watchTurns("worker", door, (id, step, at) => out(stepLine(id, step, at)));
  }
  console.log("ready");
  // Until the bench closes this process's stdin (or ends).
  for await (const _ of Deno.stdin.readable) { /* nothing is read */ }
  await worker[Symbol.asyncDispose]();
  await transport.close();
  await llm.close();
}
