/**
 * A session's JSONL file on disk: born with its one metadata line, appended whole or not at all,
 * and read back line by line, keeping every good line even after a torn one.
 *
 * - Creation writes the metadata line and the first lines to a temporary file and links it into
 *   place, so a file exists only with its header, and of two processes creating one session only
 *   one header lands (the other's lines are then appended). With {@link SpareFiles}, that file was
 *   made ahead, in the background: making a file (an inode, an entry in the file system's journal)
 *   took 0.2-0.7 ms on a busy disk of the build machine, where writing to it and linking it took
 *   some 20 µs, and a new session's file is made while its turn waits.
 * - An append that fails (a full disk) truncates the file back to where it was; one cut short by
 *   a crash leaves a torn last line, and the next append starts on a line of its own.
 * - Reading skips a torn line, and finds a good line glued onto one (as older versions wrote).
 *
 * Appending and the first look at a file are synchronous calls: a turn's lines are small, and
 * each asynchronous call waits for a thread of the file pool and then for the event loop, which
 * on a busy machine cost a turn milliseconds per call (a turn appended in some ten calls).
 * Reading a whole session, which may be long, stays asynchronous.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { diskFullError } from "../timeline/mod.ts";

/** The records of a session file, and the lines (from 1) that could not be read. */
export interface ParsedSessionFile {
  readonly records: Record<string, unknown>[];
  readonly unreadable: number[];
}

const encoder = new TextEncoder();
const NEWLINE = 10;

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses a session file's text. A line that is not a JSON object is unreadable, unless it ends in
 * one: a line appended after a torn one was glued onto it by older versions, and is kept.
 */
export function parseSessionText(text: string): ParsedSessionFile {
  const records: Record<string, unknown>[] = [];
  const unreadable: number[] = [];
  text.split("\n").forEach((raw, index) => {
    if (!raw.trim()) return;
    const whole = parseObject(raw);
    if (whole) return void records.push(whole);
    unreadable.push(index + 1);
    for (let at = raw.indexOf('{"', 1); at > 0; at = raw.indexOf('{"', at + 1)) {
      const glued = parseObject(raw.slice(at));
      if (glued) return void records.push(glued);
    }
  });
  return { records, unreadable };
}

/**
 * `path` opened to read, or undefined when it does not exist. A turn of a new session looks for
 * its file twice before it makes it: the absence is asked of the file system (existsSync) rather
 * than learnt from an error thrown and caught, which cost some 50 µs, and 200 µs or more in a
 * turn's first calls after its process was idle, where the question costs 5 and some 80.
 */
function openToRead(path: string): Deno.FsFile | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return Deno.openSync(path, { read: true });
  } catch (error) {
    // Removed since it was looked at.
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * The records of a session file's last lines, read from its end in growing pieces until `enough`
 * holds for them or the whole file is read, so a long session costs no more than its tail. Empty
 * when the file does not exist.
 */
export async function tailRecords(
  path: string,
  enough: (records: readonly Record<string, unknown>[]) => boolean,
): Promise<Record<string, unknown>[]> {
  // A new session has no file: known at once, without a trip through the file pool.
  const file = openToRead(path);
  if (file === undefined) return [];
  using _ = file;
  const size = file.statSync().size;
  for (let span = Math.min(size, 16 * 1024);; span = Math.min(size, span * 4)) {
    const bytes = new Uint8Array(span);
    await file.seek(size - span, Deno.SeekMode.Start);
    for (let read = 0; read < span;) read += (await file.read(bytes.subarray(read))) ?? span;
    let text = new TextDecoder().decode(bytes);
    // Unless it starts the file, the first line is cut: it is read in the next, larger piece.
    if (span < size) {
      const cut = text.indexOf("\n");
      text = cut < 0 ? "" : text.slice(cut + 1);
    }
    const { records } = parseSessionText(text);
    if (span === size || enough(records)) return records;
  }
}

/**
 * Creates `path` holding `first` (its header, and the lines of the first append) unless it exists,
 * in one link of a file written whole: the file never exists without its header, nor with part of
 * its first lines. Returns the look of the file made, or false when another process created it
 * first. A spare, when one is ready, is the file written and linked.
 */
function create(path: string, first: string, spares: SpareFiles | undefined): string | false {
  const spare = spares?.take();
  const linked = spare && linkSpare(spare, path, first, spares!);
  if (linked !== undefined) return linked;
  const temp = join(dirname(path), `.${basename(path)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  const write = () => Deno.writeTextFileSync(temp, first, { createNew: true, mode: 0o600 });
  try {
    try {
      write();
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      write();
    }
    Deno.linkSync(temp, path);
    return lookOf(Deno.statSync(path));
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    return false;
  } finally {
    try {
      Deno.removeSync(temp);
    } catch { /* never written, or already gone */ }
  }
}

/** An empty file made ahead of need, open for writing, and where it is. */
interface Spare {
  readonly path: string;
  readonly file: Deno.FsFile;
}

/** Closes a spare and removes its file, if it is still there. */
function drop(spare: Spare): void {
  spare.file.close();
  forget(spare.path);
}

/** A session file written last, still open, and its look after that write. */
interface Held {
  readonly path: string;
  readonly file: Deno.FsFile;
  readonly look: string;
}

/**
 * {@link create} with a spare: `first` written into it, then the spare linked into place, and
 * its file, still open, held by `spares` for the session's next append. Undefined when the
 * spare's file is no longer there (someone removed it): then a file is made as without a spare.
 */
function linkSpare(
  spare: Spare,
  path: string,
  first: string,
  spares: SpareFiles,
): string | false | undefined {
  let linked = false;
  try {
    writeAll(spare.file, encoder.encode(first));
    Deno.linkSync(spare.path, path);
    const look = lookOf(spare.file.statSync());
    spares.hold(path, spare.file, look);
    linked = true;
    return look;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  } finally {
    if (linked) forget(spare.path);
    else drop(spare);
  }
}

/** Removes a file's name, if it is still there. */
function forget(path: string): void {
  try {
    Deno.removeSync(path);
  } catch { /* already gone */ }
}

/** Writes all of `bytes` at the file's offset. */
function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.length;) {
    written += file.writeSync(bytes.subarray(written));
  }
}

/**
 * Spare files of one session folder: one empty file (0600, named `.spare.<random>.tmp`, which no
 * reader of sessions takes for one) made ahead, ready for the next new session. Its maker asks
 * for it ({@link prepare}) when a turn is ending, so that it is made while the turn's answer is
 * on its way rather than during a turn: even made through the file pool, a file's making cost
 * the event loop some 80-120 µs on the build machine. A new session with no spare ready makes
 * its file itself. {@link close} removes the spare not taken; a process that dies leaves its one
 * empty spare behind, which the first spare this process makes sweeps away (see
 * {@link sweepSpares}).
 *
 * They also hold the session file written last open ({@link hold}): a turn's next line (its
 * answer) goes into it without opening it again, as long as its name still leads to that file
 * and nobody wrote to it since (its look is the one the last write left).
 */
export class SpareFiles {
  readonly #dir: string;
  #ready: Spare | undefined;
  #held: Held | undefined;
  #making: Promise<void> | undefined;
  #closed = false;
  #swept = false;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The spare ready, if one is. */
  take(): Spare | undefined {
    const spare = this.#ready;
    this.#ready = undefined;
    return spare;
  }

  /**
   * Makes a spare unless one is ready or being made, once the caller's synchronous work is done
   * (a timer's turn of the event loop later).
   */
  prepare(): void {
    if (this.#ready !== undefined || this.#making !== undefined || this.#closed) return;
    this.#making = this.#make();
  }

  async #make(): Promise<void> {
    try {
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (!this.#swept) {
        await sweepSpares(this.#dir);
        this.#swept = true;
      }
      if (this.#closed) return;
      const path = join(this.#dir, `.spare.${crypto.randomUUID().slice(0, 8)}.tmp`);
      const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
      if (this.#closed) drop({ path, file });
      else this.#ready = { path, file };
    } catch {
      // No folder yet, or no room: the next new session makes its file itself.
    } finally {
      this.#making = undefined;
    }
  }

  /**
   * Holds `file`, the session file at `path` as its last write left it, in place of the one held
   * before (closed); once closed, holds nothing and closes `file`.
   */
  hold(path: string, file: Deno.FsFile, look: string): void {
    this.#let();
    if (this.#closed) file.close();
    else this.#held = { path, file, look };
  }

  /**
   * The file held for `path`, no longer held, when its name still leads to it and its look is
   * the one the last write left (so it ends with a whole line, and its offset is its end); else
   * undefined, and a file held for `path` is closed.
   */
  reuse(path: string): Held | undefined {
    const held = this.#held;
    if (held?.path !== path) return undefined;
    let look: string | undefined;
    try {
      look = lookOf(Deno.statSync(path));
    } catch {
      // Removed: the append makes the session anew.
    }
    if (look !== held.look) this.#let();
    else this.#held = undefined;
    return look === held.look ? held : undefined;
  }

  /** Closes the file held, if one is. */
  #let(): void {
    this.#held?.file.close();
    this.#held = undefined;
  }

  /** Waits for a spare being made, removes the one not taken, and closes the file held. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#making;
    if (this.#ready !== undefined) drop(this.#ready);
    this.#ready = undefined;
    this.#let();
  }
}

const SPARE_NAME = /^\.spare\.[^/]+\.tmp$/;

/**
 * Removes from `dir` the spares made before this process started: those of processes that died
 * (a SIGKILL, a power cut) and never removed theirs. One of an older process still running goes
 * too, which costs it nothing but the spare: its maker, finding the file gone, makes its next
 * session's file itself (linkSpare). A spare made since this process started is left alone.
 */
async function sweepSpares(dir: string): Promise<void> {
  const started = performance.timeOrigin;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !SPARE_NAME.test(entry.name)) continue;
    const path = join(dir, entry.name);
    try {
      const { mtime } = await Deno.stat(path);
      if (mtime !== null && mtime.getTime() < started) await Deno.remove(path);
    } catch {
      // Taken or removed meanwhile by its owner.
    }
  }
}

/** `path` opened to append, or undefined when it does not exist (asked as {@link openToRead} does). */
function openToAppend(path: string): Deno.FsFile | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return Deno.openSync(path, { read: true, append: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function endsWithNewline(file: Deno.FsFile, size: number): boolean {
  const last = new Uint8Array(1);
  file.seekSync(size - 1, Deno.SeekMode.Start);
  return file.readSync(last) === 1 && last[0] === NEWLINE;
}

/**
 * A file's device, inode, size and modification time: a session file is only ever appended to
 * (which grows it), so while its look stays the same, so does what it holds.
 */
export function lookOf(info: Deno.FileInfo): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtime?.getTime()}`;
}

/** The size in bytes that a look ({@link lookOf}) records. */
export function sizeOfLook(look: string): number {
  return Number(look.split(":")[2]);
}

/** What an append did: the file's look before it (none: it created the file) and after it. */
export interface Appended {
  readonly before: string | undefined;
  readonly after: string;
}

/**
 * Appends `text` (whole lines, each ending in a newline) to a session file, creating it with
 * `header` (one line) first, from one of `spares` when one is ready. Either every byte lands or
 * the file is left as it was; a full disk is thrown as a DiskFullError naming the file.
 */
export function appendLines(
  path: string,
  text: string,
  header: string,
  spares?: SpareFiles,
): Appended {
  try {
    const keep = spares && ((file: Deno.FsFile, after: string) => spares.hold(path, file, after));
    // The file held since the last write to it: whole lines, and nobody wrote to it since.
    const held = spares?.reuse(path);
    if (held !== undefined) return appendTo(held.file, text, held.look, keep);
    // A new session is born with its first lines: one file written and linked, nothing appended.
    const opened = openToAppend(path);
    const made = opened === undefined && create(path, header + text, spares);
    if (made) return { before: undefined, after: made };
    const file = opened ?? Deno.openSync(path, { read: true, append: true });
    const info = file.statSync();
    // An empty file (left by an older version) gets its header; a torn last line gets its end.
    const start = info.size === 0 ? header : endsWithNewline(file, info.size) ? "" : "\n";
    return appendTo(file, start + text, lookOf(info), keep);
  } catch (error) {
    throw diskFullError(error, path) ?? error;
  }
}

/**
 * Writes `text` at the end of `file`, whose look is `before`, and hands the file to `keep` with
 * its look after the write, or closes it. A write that fails cuts the file back to `before`.
 */
function appendTo(
  file: Deno.FsFile,
  text: string,
  before: string,
  keep: ((file: Deno.FsFile, after: string) => void) | undefined,
): Appended {
  let kept = false;
  try {
    try {
      writeAll(file, encoder.encode(text));
    } catch (error) {
      // Should even this fail, the next append starts a fresh line and reading skips the torn one.
      try {
        file.truncateSync(sizeOfLook(before));
      } catch { /* see above */ }
      throw error;
    }
    const after = lookOf(file.statSync());
    if (keep) keep(file, after);
    kept = keep !== undefined;
    return { before, after };
  } finally {
    if (!kept) file.close();
  }
}

/**
 * A session file's bytes as its look says them: the look is taken first, and only as many bytes
 * as it counts are read (a line appended meanwhile is read next time, its look then differing).
 * Undefined when the file does not exist.
 */
export async function readLooked(
  path: string,
): Promise<{ readonly look: string; readonly text: string } | undefined> {
  const file = openToRead(path);
  if (file === undefined) return undefined;
  using _ = file;
  const info = file.statSync();
  const bytes = new Uint8Array(info.size);
  for (let read = 0; read < bytes.length;) {
    read += (await file.read(bytes.subarray(read))) ?? bytes.length;
  }
  return { look: lookOf(info), text: new TextDecoder().decode(bytes) };
}
