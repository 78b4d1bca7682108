/**
 * A small pool of Web Workers that check Ed25519 signatures off the calling thread, for the Kafka
 * throughput bench's row that measures whether that helps on this machine (the product checks
 * them on the calling thread). A fetched batch's checks go out in chunks spread over the workers,
 * so the first records' verdicts come back while later ones are still checked; verdicts keep the
 * jobs' order. The workers start with the pool and end at {@link SignaturePool.close}; a check
 * the pool cannot make (closed, a worker that failed, a key that does not import) resolves
 * undefined, for the caller to make itself.
 */
import { type CheckChunk, packChunk, type SignatureJob, VERDICT } from "./_signature_checks.ts";

export type { SignatureJob };

/** A verdict per job: true, false, or undefined when the caller must check it itself. */
export type PoolVerdict = Promise<boolean | undefined>;

/** See the module documentation. */
export class SignaturePool {
  readonly #chunk: number;
  readonly #workers: Worker[];
  readonly #load: number[];
  readonly #pending = new Map<number, (verdicts: Uint8Array | undefined) => void>();
  #closed = false;
  #nextId = 0;

  constructor(options: { readonly workers?: number; readonly chunk?: number } = {}) {
    this.#chunk = options.chunk ?? 16;
    const url = new URL("./_signature_worker.ts", import.meta.url);
    this.#workers = Array.from({ length: options.workers ?? 2 }, () => {
      const worker = new Worker(url, { type: "module" });
      worker.onmessage = (event: MessageEvent<{ id: number; verdicts: Uint8Array }>) => {
        const settle = this.#pending.get(event.data.id);
        this.#pending.delete(event.data.id);
        settle?.(event.data.verdicts);
      };
      // A failing worker ends the pool: its checks fall back to the callers, and nothing
      // escapes as "Unhandled error in child worker".
      worker.onerror = (event) => {
        event.preventDefault();
        this.close();
      };
      return worker;
    });
    this.#load = this.#workers.map(() => 0);
  }

  /** Checks jobs off the calling thread; one verdict per job, in order. */
  check(jobs: readonly SignatureJob[]): PoolVerdict[] {
    const verdicts: PoolVerdict[] = [];
    for (let from = 0; from < jobs.length; from += this.#chunk) {
      const chunk = jobs.slice(from, from + this.#chunk);
      const settled = this.#closed ? Promise.resolve(undefined) : this.#send(chunk);
      chunk.forEach((_, i) =>
        verdicts.push(
          settled.then((all) => {
            const verdict = all?.[i];
            return verdict === undefined || verdict === VERDICT.unchecked
              ? undefined
              : verdict === VERDICT.holds;
          }),
        )
      );
    }
    return verdicts;
  }

  #send(jobs: readonly SignatureJob[]): Promise<Uint8Array | undefined> {
    const worker = this.#load.indexOf(Math.min(...this.#load));
    const id = this.#nextId++;
    const message: CheckChunk = packChunk(id, jobs);
    this.#load[worker]! += jobs.length;
    const settled = new Promise<Uint8Array | undefined>((resolve) =>
      this.#pending.set(id, (verdicts) => {
        this.#load[worker]! -= jobs.length;
        resolve(verdicts);
      })
    );
    const { keyOf, signatures, signed, ends } = message;
    const transfer = [keyOf, signatures, signed, ends].map((array) => array.buffer as ArrayBuffer);
    this.#workers[worker]!.postMessage(message, transfer);
    return settled;
  }

  /** Ends the workers; checks still out, and all later ones, resolve undefined. */
  close(): void {
    this.#closed = true;
    for (const worker of this.#workers) worker.terminate();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const settle of pending) settle(undefined);
  }
}
