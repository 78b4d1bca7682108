/**
 * The ApiVersions check: one ApiVersions request (v0, which every broker answers, before any SASL
 * login) on a connection of kshark's own, and the versions kafkajs would negotiate for the calls
 * it makes. A broker that serves none of the versions kafkajs speaks for a call is a FAIL.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import net from "node:net";
import tls from "node:tls";
import { type CheckContext, hostAndPort, reason, timed } from "./check.ts";
import { tlsOptions } from "./net_checks.ts";

/** The versions kafkajs 2.2.4 speaks, for the calls kshark and KafClaw make: [key, min, max]. */
export const CLIENT_APIS: Readonly<Record<string, readonly [number, number, number]>> = {
  Produce: [0, 0, 7],
  Fetch: [1, 0, 11],
  ListOffsets: [2, 0, 3],
  Metadata: [3, 0, 6],
  OffsetCommit: [8, 0, 5],
  OffsetFetch: [9, 1, 4],
  FindCoordinator: [10, 0, 2],
  JoinGroup: [11, 0, 5],
  Heartbeat: [12, 0, 3],
  LeaveGroup: [13, 0, 3],
  SyncGroup: [14, 0, 3],
  DescribeGroups: [15, 0, 2],
  ListGroups: [16, 0, 2],
  SaslHandshake: [17, 0, 1],
  ApiVersions: [18, 0, 2],
  CreateTopics: [19, 0, 3],
  DeleteTopics: [20, 0, 1],
  DescribeConfigs: [32, 0, 2],
  SaslAuthenticate: [36, 0, 1],
};

/** A broker's supported range per API key. */
export type ApiRanges = ReadonlyMap<number, { readonly min: number; readonly max: number }>;

/** The request: size, api key 18, version 0, correlation id 1, client id. */
function request(clientId: string): Uint8Array {
  const id = Buffer.from(clientId, "utf8");
  const body = Buffer.alloc(2 + 2 + 4 + 2 + id.length);
  body.writeInt16BE(18, 0);
  body.writeInt16BE(0, 2);
  body.writeInt32BE(1, 4);
  body.writeInt16BE(id.length, 8);
  id.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

/** Parses an ApiVersions v0 response body (after its size). */
export function parseApiVersions(body: Uint8Array): ApiRanges {
  const b = Buffer.from(body);
  if (b.length < 10) throw new Error(`the ApiVersions response is ${b.length} bytes, too short`);
  const error = b.readInt16BE(4);
  if (error !== 0) throw new Error(`the broker answered ApiVersions with error code ${error}`);
  const count = b.readInt32BE(6);
  if (count < 0 || 10 + count * 6 > b.length) {
    throw new Error("the ApiVersions response is cut short");
  }
  const out = new Map<number, { min: number; max: number }>();
  for (let i = 0; i < count; i++) {
    const at = 10 + i * 6;
    out.set(b.readInt16BE(at), { min: b.readInt16BE(at + 2), max: b.readInt16BE(at + 4) });
  }
  return out;
}

/** Sends ApiVersions on a connection of its own and reads the answer. */
function askApiVersions(ctx: CheckContext, broker: string): Promise<ApiRanges> {
  const { host, port } = hostAndPort(broker);
  const { securityProtocol } = ctx.settings;
  const useTls = securityProtocol === "SSL" || securityProtocol === "SASL_SSL";
  return new Promise((resolve, reject) => {
    const socket = useTls ? tls.connect(tlsOptions(ctx, host, port)) : net.connect({ host, port });
    let got = Buffer.alloc(0);
    socket.on(useTls ? "secureConnect" : "connect", () => socket.write(request("kshark")));
    socket.on("data", (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 4) return;
      const size = got.readInt32BE(0);
      if (got.length < 4 + size) return;
      socket.destroy();
      try {
        resolve(parseApiVersions(got.subarray(4, 4 + size)));
      } catch (error) {
        reject(error);
      }
    });
    socket.on("error", reject);
    socket.on(
      "close",
      () => reject(new Error("the broker closed the connection without answering")),
    );
  });
}

/** What kafkajs would use per call against these ranges, and the calls it cannot make. */
export function negotiate(ranges: ApiRanges): { used: string[]; missing: string[] } {
  const used: string[] = [];
  const missing: string[] = [];
  for (const [name, [key, min, max]] of Object.entries(CLIENT_APIS)) {
    const broker = ranges.get(key);
    if (broker === undefined || broker.max < min || broker.min > max) {
      missing.push(
        broker ? `${name} (broker ${broker.min}-${broker.max}, kafkajs ${min}-${max})` : name,
      );
      continue;
    }
    used.push(`${name} v${Math.min(broker.max, max)}`);
  }
  return { used, missing };
}

/** The ApiVersions check of one broker. */
export async function checkApiVersions(ctx: CheckContext, broker: string): Promise<void> {
  ctx.starting(`ApiVersions ${broker}`);
  const base = { component: "ApiVersions", target: broker, layer: "L7-Kafka" } as const;
  try {
    const { value, ms } = await timed(
      ctx,
      ctx.timeouts.kafkaMs,
      `ApiVersions at ${broker}`,
      () => askApiVersions(ctx, broker),
    );
    const { used, missing } = negotiate(value);
    if (missing.length > 0) {
      ctx.add({
        ...base,
        status: "FAIL",
        detail: `${value.size} APIs served; no common version for ${missing.join(", ")}`,
        hint: "the broker is too old or too new for kafkajs 2.2.4: use Kafka 2.x to 4.x",
        ms,
      });
      return;
    }
    ctx.add({
      ...base,
      status: "OK",
      detail: `${value.size} APIs served; negotiated ${used.join(", ")}`,
      ms,
    });
  } catch (error) {
    ctx.add({
      ...base,
      status: "FAIL",
      detail: `no ApiVersions answer: ${reason(error)}`,
      hint: "check that this port is a Kafka listener and that security.protocol matches it " +
        "(a TLS listener needs SSL or SASL_SSL)",
    });
  }
}
