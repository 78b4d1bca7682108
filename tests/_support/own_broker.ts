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

/**
 * Starts `nodes` brokers; dispose stops them and removes their state. With `saslUsers` (name to
 * password) clients log in with SASL/PLAIN and an authorizer enforces ACLs; the first user is a
 * super user. With `tlsDir` (server.pem and ca.pem, see tests/_support/test_ca.ts) the client
 * listener speaks TLS. `props` are broker settings of its own (`key=value`, over scripts/kafka's).
 */
export async function startOwnBroker(
  nodes = 1,
  options: {
    readonly saslUsers?: Readonly<Record<string, string>>;
    readonly tlsDir?: string;
    readonly props?: readonly string[];
  } = {},
): Promise<OwnBroker> {
  const state = await Deno.makeTempDir({ prefix: "kafclaw-kafka-" });
  await Deno.remove(state);
  const users = Object.entries(options.saslUsers ?? {}).map(([u, p]) => `${u}:${p}`).join(",");
  const out = await kafkaScript(state, [
    "start",
    "--nodes",
    String(nodes),
    ...(users === "" ? [] : ["--sasl-users", users]),
    ...(options.tlsDir === undefined ? [] : ["--tls", options.tlsDir]),
    ...(options.props ?? []).flatMap((prop) => ["--prop", prop]),
  ]);
  const bootstrap = out.split("\n").pop()!.split(",");
  return {
    bootstrap,
    kill: async (n) => void await kafkaScript(state, ["kill", String(n)]),
    restart: async (n) => void await kafkaScript(state, ["restart", String(n)]),
    [Symbol.asyncDispose]: async () => void await kafkaScript(state, ["stop", "--purge"]),
  };
}
