/**
 * Paired benches: each timed iteration runs the other side of its pair first, untimed, so that a
 * machine that gets busier or quieter weighs on both alike; the samples of each are kept, so that
 * a summary can print quantiles and their ratios after `deno bench`'s own table. The process's
 * CPU time (all its threads, workers included) is kept for each timed iteration too: on a shared
 * machine it says what a side costs when the wall-clock time says mostly how busy the others are.
 */
import process from "node:process";

/** Per bench name, the time (ms) of each timed iteration. */
export class Samples {
  readonly #samples = new Map<string, number[]>();
  readonly #cpu = new Map<string, number[]>();

  /** A paired bench body: the other side first, untimed, then this side, timed and recorded. */
  paired(name: string, other: () => Promise<unknown>, mine: () => Promise<unknown>) {
    return async (b: Deno.BenchContext) => {
      await other();
      b.start();
      const started = performance.now();
      const cpu = process.cpuUsage();
      await mine();
      const used = process.cpuUsage(cpu);
      this.record(name, performance.now() - started);
      this.#record(this.#cpu, name, (used.user + used.system) / 1000);
      b.end();
    };
  }

  /** Records one timed run of `name`, in ms (for benches that time several things per iteration). */
  record(name: string, ms: number): void {
    this.#record(this.#samples, name, ms);
  }

  #record(into: Map<string, number[]>, name: string, ms: number): void {
    const list = into.get(name) ?? [];
    list.push(ms);
    into.set(name, list);
  }

  get size(): number {
    return this.#samples.size;
  }

  has(name: string): boolean {
    return this.#samples.has(name);
  }

  /** The `q` quantile (0..1) of a bench's times, in ms; NaN when it has none. */
  quantile(name: string, q: number): number {
    return quantileOf(this.#samples.get(name), q);
  }

  /** The `q` quantile (0..1) of the process's CPU time (ms) in a bench's timed iterations. */
  cpuQuantile(name: string, q: number): number {
    return quantileOf(this.#cpu.get(name), q);
  }

  /** Prints one line: `ours` against `raw` at quantile `q`, with the ratio and the target. */
  line(what: string, ours: string, raw: string, q: number, target: string): void {
    if (!this.has(ours) || !this.has(raw)) return;
    const [x, y] = [this.quantile(ours, q), this.quantile(raw, q)];
    console.log(
      `  ${what.padEnd(34)} ${x.toFixed(2).padStart(8)} ms vs ${y.toFixed(2).padStart(8)} ms  ` +
        `${(x / y).toFixed(2)}x (target ${target})`,
    );
  }
}

function quantileOf(samples: readonly number[] | undefined, q: number): number {
  const sorted = [...(samples ?? [])].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))] ?? NaN;
}
