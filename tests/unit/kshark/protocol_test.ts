import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { negotiate, parseApiVersions } from "../../../kshark/api_versions.ts";
import { readTrace } from "../../../kshark/network_diag.ts";

/** An ApiVersions v0 response body: correlation id, error code, then [key, min, max]... */
function body(error: number, apis: [number, number, number][]): Uint8Array {
  const b = Buffer.alloc(10 + apis.length * 6);
  b.writeInt32BE(1, 0);
  b.writeInt16BE(error, 4);
  b.writeInt32BE(apis.length, 6);
  apis.forEach(([key, min, max], i) => {
    b.writeInt16BE(key, 10 + i * 6);
    b.writeInt16BE(min, 12 + i * 6);
    b.writeInt16BE(max, 14 + i * 6);
  });
  return b;
}

Deno.test("ApiVersions: kafkajs's highest version within the broker's range, and calls it cannot make", () => {
  const ranges = parseApiVersions(body(0, [[0, 3, 12], [1, 4, 17], [3, 0, 12], [18, 0, 4]]));
  const { used, missing } = negotiate(ranges);
  assert.ok(
    used.includes("Produce v7") && used.includes("Fetch v11") && used.includes("ApiVersions v2"),
  );
  assert.ok(missing.includes("JoinGroup"), "a call the broker does not list");
  const old = negotiate(parseApiVersions(body(0, [[0, 8, 12]])));
  assert.ok(old.missing.includes("Produce (broker 8-12, kafkajs 0-7)"));
});

Deno.test("ApiVersions: an error code or a cut-short answer is an error, not a guess", () => {
  assert.throws(() => parseApiVersions(body(35, [])), /error code 35/);
  assert.throws(() => parseApiVersions(body(0, [[0, 0, 7]]).subarray(0, 12)), /cut short/);
});

Deno.test("tracepath's and traceroute's output give the hop count and the path MTU", () => {
  const tracepath = [
    " 1?: [LOCALHOST]                      pmtu 1500",
    " 1:  10.0.0.1                                              0.512ms",
    " 2:  192.0.2.9                                             3.1ms reached",
    "     Resume: pmtu 1500 hops 2 back 2",
  ].join("\n");
  assert.deepEqual(readTrace(tracepath), { hops: 2, mtu: 1500 });
  const traceroute =
    "traceroute to b (192.0.2.9), 20 hops max\n 1  10.0.0.1  0.4 ms\n 2  192.0.2.9  3 ms\n";
  assert.deepEqual(readTrace(traceroute), { hops: 2 });
});
