/**
 * The timeline's endpoints under load (`deno task bench --filter timeline`, some 30 s): over a
 * timeline of 10,000 events, 16 concurrent loopback clients send `GET /api/v1/timeline?limit=50`
 * (and the same filtered by kind) for a fixed 5 s each through the whole front door (real sockets,
 * Host and token checked), against a bare `Deno.serve` answering the same page of JSON, measured
 * alongside as the baseline. Then the live stream: 200 events stored 20 ms apart while a client
 * follows `/api/v1/timeline/stream`, and how long each took from its write to its arrival, written
 * by the serving process (sent at once) and by another connection to the file, as another process
 * of the home writes (found by the stream's poll of the database every 500 ms). Prints
 * requests/s, p50, p99 and errors, and each stream's p50 and p99.
 */
import { Timeline } from "../../core/timeline/mod.ts";
import { DEFAULT_LIMITS, startFrontDoor } from "../../web/mod.ts";
import type { GatewayStatus } from "../../web/mod.ts";
import { type Load, load, loadRow, quantile } from "./_load.ts";

const SECONDS = 5;
const CLIENTS = 16;
const TOKEN = "bench-token-0123456789abcdefghijklmnopq";
const KINDS = ["INBOUND", "LLM", "TOOL", "OUTBOUND", "POLICY"] as const;

const dir = await Deno.makeTempDir({ prefix: "kafclaw-bench-timeline-" });
const timeline = Timeline.open(`${dir}/timeline.db`);
timeline.transaction(() => {
  for (let i = 0; i < 10_000; i++) {
    timeline.events.record({
      kind: KINDS[i % KINDS.length]!,
      sessionKey: `cli:${i % 7}`,
      channel: "cli",
      contentText: `event ${i}: ${"the agent did something worth a line. ".repeat(2)}`,
      metadata: { n: i },
    });
  }
});
const door = await startFrontDoor(
  { gateway: { host: "127.0.0.1", port: 0, dashboardPort: 0 } },
  {
    token: TOKEN,
    status: () => ({}) as GatewayStatus,
    events: timeline.events,
    // The per-client rate limit is raised out of the way: what is measured is the serving.
    limits: { ...DEFAULT_LIMITS, burst: 1e9, perSecond: 1e9 },
  },
);
const auth = { authorization: `Bearer ${TOKEN}` };
const api = `http://127.0.0.1:${door.port}/api/v1/timeline`;
const page = await (await fetch(`${api}?limit=50`, { headers: auth })).text();
const bare = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  () => new Response(page, { headers: { "content-type": "application/json" } }),
);

const runs = new Map<string, Load>();
const measure = (name: string, url: string, headers: Record<string, string> = {}) =>
  Deno.bench(name, { group: "timeline load", n: 1, warmup: 0 }, async () => {
    runs.set(name, await load(url, { headers, clients: CLIENTS, seconds: SECONDS }));
  });
measure("bare Deno.serve, the same page", `http://127.0.0.1:${bare.addr.port}/`);
measure("GET /api/v1/timeline?limit=50", `${api}?limit=50`, auth);
measure("GET /api/v1/timeline?kind=TOOL&limit=50", `${api}?kind=TOOL&limit=50`, auth);

/** 200 events written 20 ms apart through `writer`, and how long each took to reach a stream. */
async function followed(writer: Timeline): Promise<number[]> {
  const response = await fetch(`${api}/stream`, { headers: auth });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const written = new Map<string, number>();
  const arrived: number[] = [];
  const reading = (async () => {
    let buffer = "";
    while (arrived.length < 200) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      for (const match of buffer.matchAll(/"event_id":"([0-9a-f]+)"/g)) {
        const at = written.get(match[1]!);
        if (at !== undefined) arrived.push(performance.now() - at);
        written.delete(match[1]!);
      }
      buffer = buffer.slice(buffer.lastIndexOf("\n\n") + 2);
    }
  })();
  for (let i = 0; i < 200; i++) {
    const event = writer.events.record({ kind: "TOOL", contentText: `live ${i}` });
    written.set(event.eventId, performance.now());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await reading;
  await reader.cancel();
  return arrived.sort((a, b) => a - b);
}

// Another connection to the same file writes as another process of the home would.
const other = Timeline.open(`${dir}/timeline.db`);
const streams = new Map<string, number[]>();
for (
  const [name, writer] of [["written by the gateway's process", timeline], [
    "written by another process (another connection)",
    other,
  ]] as const
) {
  Deno.bench(`stream: ${name}`, { group: "timeline stream", n: 1, warmup: 0 }, async () => {
    streams.set(name, await followed(writer));
  });
}

globalThis.addEventListener("unload", () => {
  if (runs.size > 0) {
    console.log(`\ntimeline load: ${CLIENTS} loopback clients, ${SECONDS} s each, 10,000 events`);
    console.log("| endpoint | requests/s | p50 | p99 | errors |");
    console.log("| --- | --- | --- | --- | --- |");
    for (const [name, run] of runs) console.log(loadRow(name, run));
  }
  for (const [name, ms] of streams) {
    const p = (q: number) => `${quantile(ms, q).toFixed(0)} ms`;
    console.log(
      `stream, ${name}: ${ms.length} events, write to arrival p50 ${p(0.5)}, p99 ${p(0.99)}`,
    );
  }
  // The servers end with this process; closing them here would race the unload.
  void door.close();
  void bare.shutdown();
  timeline.close();
  other.close();
  Deno.removeSync(dir, { recursive: true });
});
