/**
 * Kafka that cannot be reached, as a user meets it: the real CLI against a port nothing listens
 * on, a server that accepts and closes at once, an HTTP server and a name under `.invalid`. Each
 * command ends with exit 1 and one line that names the address and `group.kafkaBrokers`, with no
 * stack and no kafkajs class; a command gives up after a few connections, not after dozens.
 */
import assert from "node:assert/strict";
import { Child } from "../_support/child.ts";
import { kafclaw, kafclawCommand, tempHome } from "../_support/cli.ts";
import { gatewaySetting } from "../_support/gateway_env.ts";
import { kafkaLine } from "../_support/kafka_line.ts";
import { waitFor } from "../_support/wait.ts";

/** A loopback port that was free a moment ago and that nothing listens on now. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A TCP server on a free loopback port that closes each connection it accepts, counting them. */
function acceptAndClose() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      accepted++;
      conn.close();
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get accepted() {
      return accepted;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await serving.catch(() => {});
    },
  };
}

/** `kafclaw ARGS` in a fresh home whose group's brokers are `brokers`. */
async function withBrokers(brokers: string, args: string[], more: Record<string, string> = {}) {
  await using home = await tempHome();
  return await kafclaw(args, {
    KAFCLAW_HOME: home.path,
    KAFCLAW_GROUP_AGENT_ID: "a1",
    KAFCLAW_GROUP_KAFKA_BROKERS: brokers,
    ...more,
  });
}

/** The one line a command printed, its kshark hint naming `address`. */
function oneLine(result: { code: number; stderr: string }, address: string): string {
  return kafkaLine(result, address, `--broker ${address}`);
}

Deno.test("group commands against a port nothing listens on end with one line: connection refused", async () => {
  const address = `127.0.0.1:${closedPort()}`;
  const commands = [["group", "status"], ["group", "init"], ["group", "members"], [
    "zone",
    "list",
  ]];
  // zone list reads the group's zones, which a signed group's member checks with the owner's key.
  const open = { KAFCLAW_GROUP_SECURITY: "open" };
  const results = await Promise.all(
    commands.map((args) => withBrokers(address, args, args[0] === "zone" ? open : {})),
  );
  for (const [i, result] of results.entries()) {
    const line = oneLine(result, address);
    assert.match(line, /: connection refused \(/, commands[i]!.join(" "));
  }
});

Deno.test("a command gives up after a few connections to a server that closes each one", async () => {
  await using server = acceptAndClose();
  const address = `127.0.0.1:${server.port}`;
  const line = oneLine(await withBrokers(address, ["group", "status"]), address);
  assert.match(line, /: the server closed the connection \(not a Kafka listener/);
  // A command makes 5 attempts; the patience of a service, before, made 9 and more.
  assert.ok(server.accepted >= 1, "it did try");
  assert.ok(server.accepted <= 6, `${server.accepted} connections for one command`);
});

Deno.test("an HTTP server's port is said to be no Kafka listener", async () => {
  await using http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("not Kafka"),
  );
  const address = `127.0.0.1:${http.addr.port}`;
  const line = oneLine(await withBrokers(address, ["group", "status"]), address);
  assert.match(line, /: the server closed the connection \(not a Kafka listener/);
});

Deno.test("a host name that does not resolve is said so", async () => {
  // .invalid never resolves (RFC 6761); the resolver says so without the network.
  const address = "kafclaw-test.invalid:9092";
  const line = oneLine(await withBrokers(address, ["group", "status"]), address);
  assert.match(line, /: the host name does not resolve \(check the host name\)/);
});

Deno.test("a gateway that cannot reach Kafka at start keeps trying, then ends with the same line", async () => {
  await using setting = await gatewaySetting();
  const address = `127.0.0.1:${closedPort()}`;
  const result = await kafclaw(["gateway"], {
    ...setting.env,
    KAFCLAW_GROUP_ENABLED: "true",
    KAFCLAW_GROUP_SECURITY: "open",
    KAFCLAW_GROUP_AGENT_ID: "a1",
    KAFCLAW_GROUP_KAFKA_BROKERS: address,
  });
  assert.match(oneLine(result, address), /: connection refused \(/);
});

Deno.test("a gateway or group member stopped while it retries Kafka ends at once, saying so", async () => {
  await using setting = await gatewaySetting();
  await using server = acceptAndClose();
  const env = {
    ...setting.env,
    KAFCLAW_GROUP_ENABLED: "true",
    KAFCLAW_GROUP_SECURITY: "open",
    KAFCLAW_GROUP_AGENT_ID: "a1",
    KAFCLAW_GROUP_KAFKA_BROKERS: `127.0.0.1:${server.port}`,
  };
  const cases = [
    { args: ["gateway"], signal: "SIGINT", code: 130, doing: "starting the gateway" },
    { args: ["group", "join"], signal: "SIGTERM", code: 143, doing: 'joining group "[^"]+"' },
  ] as const;
  for (const { args, signal, code, doing } of cases) {
    const tried = server.accepted;
    await using child = new Child(kafclawCommand([...args], env));
    // It is starting once it tries the broker, which closes each connection: a service keeps
    // trying for half a minute, and the signal must not wait for that.
    await waitFor(() => server.accepted > tried, `${args.join(" ")} trying Kafka`, {
      state: () => ({ stdout: child.stdout, stderr: child.stderr }),
    });
    assert.equal(await child.stop(signal), code, child.stderr);
    assert.match(
      child.stderr.trim(),
      new RegExp(`^kafclaw: stopped \\(${signal}\\) while ${doing}$`),
    );
  }
});
