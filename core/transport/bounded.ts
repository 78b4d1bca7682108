/**
 * Waiting with a limit, so that a stuck step of a stop (a subscription's work, a part of the
 * gateway) never holds the process past its bound.
 *
 * @module
 */

/** Whether `promise` settled within `ms` (its rejection counts as settled). */
export function bounded(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), ms));
  const done = promise.then(() => true, () => true);
  return Promise.race([done, late]).finally(() => clearTimeout(timer));
}
