/**
 * Parts started together: each is let end, and the first failure (in the order given) is thrown
 * only then, so that its caller can stop what did start.
 *
 * @module
 */

/** Waits for every part of `all` (a promise, or nothing to wait for); throws the first failure. */
export async function settleAll(all: readonly unknown[]): Promise<void> {
  const settled = await Promise.allSettled(all);
  const failed = settled.find((one): one is PromiseRejectedResult => one.status === "rejected");
  if (failed !== undefined) throw failed.reason;
}
