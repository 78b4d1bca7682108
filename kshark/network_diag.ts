/**
 * `--network-diag`: the path to each broker host and its MTU, from `tracepath` (which reports the
 * path MTU) or else `traceroute`, when either is installed. The only check that runs a program.
 *
 * @module
 */
import { type CheckContext, hostAndPort, reason } from "./check.ts";

/** The hop count and path MTU of tracepath's or traceroute's output. */
export function readTrace(output: string): { hops: number; mtu?: number } {
  const hops = output.split("\n").filter((l) => /^\s*\d+[?:]?\s/.test(l)).map((l) =>
    Number(/\d+/.exec(l)![0])
  );
  const mtu = /pmtu (\d+)/i.exec(output)?.[1];
  return { hops: hops.length === 0 ? 0 : Math.max(...hops), ...(mtu ? { mtu: Number(mtu) } : {}) };
}

async function trace(program: string, host: string, ms: number): Promise<string> {
  const args = program === "tracepath"
    ? ["-n", "-m", "20", host]
    : ["-n", "-m", "20", "-w", "1", host];
  const child = new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGTERM");
    } catch { /* already ended */ }
  }, ms);
  try {
    const out = await child.output();
    return new TextDecoder().decode(out.stdout);
  } finally {
    clearTimeout(timer);
  }
}

/** Traces the path to each broker host (once per host). */
export async function checkNetworkPaths(ctx: CheckContext): Promise<void> {
  const hosts = [...new Set(ctx.settings.brokers.map((b) => hostAndPort(b).host))];
  for (const host of hosts) {
    const base = { component: "Path", target: host, layer: "Diag" } as const;
    ctx.starting(`the path to ${host}`);
    let done = false;
    for (const program of ["tracepath", "traceroute"]) {
      try {
        const output = await trace(
          program,
          host,
          Math.min(30_000, Math.max(0, ctx.deadline - Date.now())),
        );
        const { hops, mtu } = readTrace(output);
        ctx.add({
          ...base,
          status: hops > 0 ? "OK" : "WARN",
          detail: `${program}: ${hops} hop(s)${
            mtu ? `, path MTU ${mtu}` : ", path MTU not reported"
          }`,
          ...(hops > 0 ? {} : { hint: `${program} printed no hop: run it by hand to see why` }),
        });
        done = true;
        break;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotCapable) {
          continue;
        }
        ctx.add({
          ...base,
          status: "WARN",
          detail: `${program} failed: ${reason(error)}`,
          hint: `run ${program} ${host} by hand`,
        });
        done = true;
        break;
      }
    }
    if (!done) {
      ctx.add({ ...base, status: "SKIP", detail: "neither tracepath nor traceroute is installed" });
    }
  }
}
