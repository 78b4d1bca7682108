import { type MemoryChunk, Timeline, type TimelineOptions } from "../../../../core/timeline/mod.ts";

/** A clock the test moves by hand. */
export class Clock {
  #ms: number;
  constructor(iso: string) {
    this.#ms = Date.parse(iso);
  }
  /** For `TimelineOptions.now`. */
  readonly now = (): Date => new Date(this.#ms);
  advance(ms: number): Date {
    this.#ms += ms;
    return this.now();
  }
}

/** A timeline in a fresh temporary folder, closed and removed on dispose. */
export async function tempTimeline(options: TimelineOptions = {}) {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-timeline-" });
  const path = `${dir}/timeline.db`;
  const clock = new Clock("2026-11-25T10:00:00.000Z");
  const timeline = Timeline.open(path, { now: clock.now, ...options });
  return {
    dir,
    path,
    clock,
    timeline,
    [Symbol.asyncDispose]: async () => {
      timeline.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A fresh temporary folder, removed on dispose. */
export async function tempDir() {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-timeline-" });
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

/** Runs a TypeScript snippet in another Deno process (`deno eval`); resolves to its stdout. */
export async function otherProcess(code: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "-A", "--quiet", code],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`The other process failed: ${stderr}`);
  return new TextDecoder().decode(out.stdout).trim();
}

/** The module URL for `import` in another process. */
export const TIMELINE_URL = new URL("../../../../core/timeline/mod.ts", import.meta.url).href;

/** Stores a trusted `user` chunk `id` (its content `content`, or the id) in `zone` (or public). */
export function addChunk(
  timeline: Timeline,
  id: string,
  options: { readonly content?: string; readonly zone?: string | undefined } = {},
): MemoryChunk {
  return timeline.memory.upsert({
    id,
    source: "user",
    content: options.content ?? id,
    tags: [],
    taint: "trusted",
    zone: options.zone,
  }).chunk;
}
