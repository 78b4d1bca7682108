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

/** How long a program stopped at the time limit gets to end after each signal. */
const GRACE_MS = 500;

/**
 * What `program` prints for `host` within `ms`. At the limit it is stopped (SIGTERM, then
 * SIGKILL), and what it printed so far is its output, even when a child it left behind still
 * holds its pipe: the run's --timeout holds whatever the program does.
 */
async function trace(
  program: string,
  host: string,
  ms: number,
): Promise<{ output: string; stopped: boolean }> {
  const args = program === "tracepath"
    ? ["-n", "-m", "20", host]
    : ["-n", "-m", "20", "-w", "1", host];
  const child = new Deno.Command(program, { args, stdin: "null", stdout: "piped", stderr: "null" })
    .spawn();
  let output = "";
  const read = (async () => {
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) output += text;
  })();
  const ended = Promise.all([read, child.status]).then(() => true);
  const timers: ReturnType<typeof setTimeout>[] = [];
  const within = (limit: number) =>
    Promise.race([
      ended,
      new Promise<false>((resolve) => timers.push(setTimeout(() => resolve(false), limit))),
    ]);
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch { /* already ended */ }
  };
  try {
    if (await within(ms)) return { output, stopped: false };
    kill("SIGTERM");
    if (!(await within(GRACE_MS))) {
      kill("SIGKILL");
      await within(GRACE_MS);
    }
    return { output, stopped: true };
  } finally {
    for (const timer of timers) clearTimeout(timer);
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
        const limit = Math.min(30_000, Math.max(0, ctx.deadline - Date.now() - 3 * GRACE_MS));
        const { output, stopped } = await trace(program, host, limit);
        const { hops, mtu } = readTrace(output);
        const hint = stopped
          ? `${program} was stopped at the time limit: raise --timeout, or run it by hand`
          : hops > 0
          ? undefined
          : `${program} printed no hop: run it by hand to see why`;
        ctx.add({
          ...base,
          status: hops > 0 && !stopped ? "OK" : "WARN",
          detail: `${program}: ${hops} hop(s)${
            mtu ? `, path MTU ${mtu}` : ", path MTU not reported"
          }${stopped ? `, stopped after ${limit} ms` : ""}`,
          ...(hint === undefined ? {} : { hint }),
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
