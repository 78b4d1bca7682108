/** Polls until `check` holds, or fails with what was awaited and the last state seen. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  options: { timeoutMs?: number; intervalMs?: number; state?: () => unknown } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
  const state = options.state ? `; last state: ${JSON.stringify(options.state())}` : "";
  throw new Error(`Timed out waiting for ${what}${state}`);
}

/** A short random suffix for topic and group names, so tests never share state. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Waits for `promise`, failing with what was awaited after `timeoutMs` rather than hanging. */
export async function settles<T>(
  promise: Promise<T>,
  what: string,
  timeoutMs = 120_000,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
