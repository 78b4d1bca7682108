/**
 * A bounded loopback load generator for the benches of the gateway's HTTP endpoints: `clients`
 * concurrent clients send a GET back to back for a fixed time, and what they saw (requests,
 * errors, sorted latencies) is summed up as requests/s, p50 and p99.
 */

/** What a load run saw. */
export interface Load {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly sortedMs: number[];
}

/** `clients` clients sending GET `url` back to back for `seconds` (only loopback URLs). */
export async function load(
  url: string,
  options: { readonly headers?: Record<string, string>; clients: number; seconds: number },
): Promise<Load> {
  const { hostname } = new URL(url);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(hostname)) {
    throw new Error(`load: ${hostname} is not a loopback address`);
  }
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const until = start + options.seconds * 1000;
  await Promise.all(Array.from({ length: options.clients }, async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        const response = await fetch(url, { headers: options.headers ?? {} });
        await response.arrayBuffer();
        if (response.status !== 200) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  return { requests: latencies.length, errors, seconds, sortedMs: latencies.sort((a, b) => a - b) };
}

/** The `q` quantile of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** A markdown row: name, requests/s, p50, p99, errors. */
export function loadRow(name: string, run: Load): string {
  const rate = Math.round(run.requests / run.seconds);
  const p = (q: number) => `${quantile(run.sortedMs, q).toFixed(2)} ms`;
  return `| ${name} | ${rate} | ${p(0.5)} | ${p(0.99)} | ${run.errors} |`;
}
