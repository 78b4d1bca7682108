/**
 * A broker (or cluster) of a test's own, started with scripts/kafka in a private state dir, for
 * fault tests that kill and restart nodes without disturbing the shared broker of the tier.
 */
const root = new URL("../../", import.meta.url).pathname;

async function kafkaScript(state: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(`${root}scripts/kafka`, {
    args,
    env: { KAFCLAW_KAFKA_STATE: state },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(
      `scripts/kafka ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return text;
}

/** A running broker of one test. */
export interface OwnBroker extends AsyncDisposable {
  readonly bootstrap: string[];
  kill(node: number): Promise<void>;
  restart(node: number): Promise<void>;
}

/** Starts `nodes` brokers; dispose stops them and removes their state. */
export async function startOwnBroker(nodes = 1): Promise<OwnBroker> {
  const state = await Deno.makeTempDir({ prefix: "kafclaw-kafka-" });
  await Deno.remove(state);
  const out = await kafkaScript(state, ["start", "--nodes", String(nodes)]);
  const bootstrap = out.split("\n").pop()!.split(",");
  return {
    bootstrap,
    kill: async (n) => void await kafkaScript(state, ["kill", String(n)]),
    restart: async (n) => void await kafkaScript(state, ["restart", String(n)]),
    [Symbol.asyncDispose]: async () => void await kafkaScript(state, ["stop", "--purge"]),
  };
}
