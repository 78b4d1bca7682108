/**
 * The timeline: KafClaw's SQLite database (`$KAFCLAW_HOME/timeline.db`, node:sqlite) with typed
 * repositories for trace spans, tasks, policy decisions, approvals, model usage, scheduled jobs,
 * session leases, settings, the protocol's replay ids, memory chunks and expertise. No SQL lives
 * outside this folder.
 *
 * The file is created 0600 (its folder 0700) and opened in WAL mode with a 5 s busy timeout and
 * foreign keys on, so several processes can share it; writes that must be atomic run in
 * `BEGIN IMMEDIATE` transactions. Opening applies the schema migrations and refuses a database
 * written by a newer KafClaw.
 *
 * @example
 * ```ts
 * import { Timeline } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const timeline = Timeline.open(`${dir}/timeline.db`);
 * const root = timeline.events.begin({ kind: "INBOUND", sessionKey: "cli:default" });
 * timeline.events.record({ kind: "LLM", traceId: root.traceId, parentSpanId: root.spanId });
 * timeline.events.end(root.eventId);
 * const [tree] = timeline.events.traceTree(root.traceId);
 * console.assert(tree?.children.length === 1);
 * timeline.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { Db, prepareFile, restrict, SIBLINGS } from "./_db.ts";
import { diskFullError } from "./disk.ts";
import { DAMAGED, storageError } from "./damaged.ts";
import { bool, int, text } from "./_row.ts";
import { ApprovalStore } from "./approvals.ts";
import { DecisionLog } from "./decisions.ts";
import { EventLog } from "./events.ts";
import { ExpertiseStore } from "./expertise.ts";
import { GroupTaskStore } from "./group_tasks.ts";
import { GroupTraceStore } from "./group_traces.ts";
import { GroupMemberStore } from "./group_members.ts";
import { CertificateStore, InviteStore } from "./group_trust.ts";
import { JobStore } from "./jobs.ts";
import { MemoryStore } from "./chunks.ts";
import { MemoryPartStore } from "./memory_parts.ts";
import { MetricsQuery } from "./metrics.ts";
import { migrate } from "./migrations.ts";
import { ReplayTable } from "./replay.ts";
import { SessionLeaseStore } from "./session_leases.ts";
import { SettingStore } from "./settings.ts";
import { TaskStore } from "./tasks.ts";
import { UsageLog } from "./usage.ts";
import { WorkedTaskStore } from "./worked_tasks.ts";

export { randomHex } from "./_row.ts";
export * from "./approvals.ts";
export { damagedError, TimelineDamagedError } from "./damaged.ts";
export * from "./decisions.ts";
export * from "./disk.ts";
export * from "./events.ts";
export * from "./expertise.ts";
export * from "./forest.ts";
export * from "./group_tasks.ts";
export * from "./group_traces.ts";
export * from "./group_members.ts";
export * from "./group_trust.ts";
export * from "./jobs.ts";
export * from "./chunks.ts";
export * from "./chunk_vectors.ts";
export * from "./memory_parts.ts";
export * from "./metrics.ts";
export * from "./migrations.ts";
export * from "./replay.ts";
export * from "./session_leases.ts";
export * from "./settings.ts";
export * from "./tasks.ts";
export * from "./types.ts";
export * from "./usage.ts";
export * from "./worked_tasks.ts";

/** How much of the database file SQLite maps into memory for reading (256 MiB). */
const MMAP_BYTES = 256 * 1024 * 1024;

/**
 * Puts the database in WAL mode (it stays so, in the file). While another connection writes the
 * file (several processes opening and migrating a new timeline at once), SQLite refuses the switch
 * at once, without waiting out its busy timeout: retried until that timeout has passed.
 */
function enableWal(raw: DatabaseSync, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 5;; pause = Math.min(pause * 2, 100)) {
    try {
      raw.exec("PRAGMA journal_mode = WAL");
      return;
    } catch (error) {
      const locked = /database is locked/.test((error as Error).message);
      if (!locked || Date.now() >= deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
    }
  }
}

/** Options of {@link Timeline.open}. */
export interface TimelineOptions {
  /** The clock for every stored time not given explicitly (default: the system clock). */
  readonly now?: () => Date;
  /** How long a write waits for another process's lock (default 5000 ms). */
  readonly busyTimeoutMs?: number;
  /**
   * Loads SQLite extensions (sqlite-vec) into the new connection before the migrations. When set,
   * the connection is opened with extension loading allowed, which needs `--allow-ffi`; SQL's own
   * `load_extension()` stays forbidden. Without it, no extension can be loaded.
   */
  readonly extensions?: (db: DatabaseSync) => void;
}

/** What `doctor` shows about the database. */
export interface TimelineInfo {
  readonly path: string;
  readonly schemaVersion: number;
  readonly sqliteVersion: string;
  /** `wal` for a file (`memory` for `:memory:`). */
  readonly journalMode: string;
  readonly foreignKeys: boolean;
  readonly busyTimeoutMs: number;
  /** Whether this SQLite has FTS5 (the memory search needs it). */
  readonly fts5: boolean;
  /** How many bytes of the file are read through a memory map (0 for `:memory:`). */
  readonly mmapBytes: number;
}

/** What {@link checkTimeline} found. */
export interface TimelineCheck {
  /** True when SQLite's quick check found nothing wrong. */
  readonly ok: boolean;
  /** What it found wrong (at most 10 lines), or why the file could not be read. */
  readonly problems: readonly string[];
}

function quickCheck(path: string, options: { readonly exclusive?: boolean } = {}): TimelineCheck {
  const db = new DatabaseSync(path, { readOnly: !options.exclusive });
  try {
    if (options.exclusive) db.exec("PRAGMA query_only = ON; PRAGMA locking_mode = EXCLUSIVE");
    const problems = db.prepare("PRAGMA quick_check(10)").all()
      .map((row) => String(Object.values(row)[0]))
      .filter((line) => line !== "ok");
    return { ok: problems.length === 0, problems };
  } finally {
    db.close();
  }
}

/** What SQLite says of a damaged file is a finding; anything else (busy, no permission) is thrown. */
function finding(error: unknown): TimelineCheck {
  if (!DAMAGED.test((error as Error).message)) throw error;
  return { ok: false, problems: [(error as Error).message] };
}

/**
 * Runs SQLite's `PRAGMA quick_check` on a timeline file, read-only, so it changes nothing. On a
 * full disk SQLite cannot make the shared-memory file a WAL reader needs; a database with nothing
 * in its WAL is then checked holding the file alone for that moment (the WAL index kept in
 * memory). With pages in its WAL, a full disk is thrown as DiskFullError. A damaged file is a
 * finding either way.
 */
export function checkTimeline(path: string): TimelineCheck {
  try {
    return quickCheck(path);
  } catch (error) {
    const full = diskFullError(error, path);
    if (!full) return finding(error);
    // SQLite made the WAL before it failed (empty, when there was none).
    if (Deno.statSync(`${path}-wal`).size > 0) throw full;
  }
  try {
    return quickCheck(path, { exclusive: true });
  } catch (error) {
    return finding(diskFullError(error, path) ?? error);
  }
}

/** An open timeline database and its repositories. Close it, or hold it with `using`. */
export class Timeline implements Disposable {
  /** The database file (or `:memory:`). */
  readonly path: string;
  /** Trace spans. */
  readonly events: EventLog;
  /** Tasks with idempotency, accounting and delivery. */
  readonly tasks: TaskStore;
  /** Policy decisions. */
  readonly decisions: DecisionLog;
  /** Approval requests. */
  readonly approvals: ApprovalStore;
  /** Model usage for quotas. */
  readonly usage: UsageLog;
  /** Scheduled jobs and their leases. */
  readonly jobs: JobStore;
  /** Which process runs each session's turn. */
  readonly sessionLeases: SessionLeaseStore;
  /** Runtime settings. */
  readonly settings: SettingStore;
  /** The protocol's replay ids. */
  readonly replay: ReplayTable;
  /** Memory chunks and their keyword and vector indexes. */
  readonly memory: MemoryStore;
  /** Parts of shared memory items waiting for the rest. */
  readonly memoryParts: MemoryPartStore;
  /** Skill events and the expertise they add up to. */
  readonly expertise: ExpertiseStore;
  /** Group tasks this agent sent, for its requester to resume after a restart. */
  readonly groupTasks: GroupTaskStore;
  /** Group tasks of other agents this agent worked on, each as its latest attempt here ended. */
  readonly workedTasks: WorkedTaskStore;
  /** The spans of group tasks this agent sent or read from the traces topic. */
  readonly groupTraces: GroupTraceStore;
  /** The group's roster as this agent last saw it. */
  readonly members: GroupMemberStore;
  /** The group's certificates and revocations, cached apart from liveness. */
  readonly certificates: CertificateStore;
  /** The owner's one-time invites for gated onboarding. */
  readonly invites: InviteStore;
  /** The aggregate counts of `/metrics`. */
  readonly metrics: MetricsQuery;
  readonly #db: Db;

  private constructor(path: string, db: Db) {
    this.path = path;
    this.#db = db;
    this.events = new EventLog(db);
    this.tasks = new TaskStore(db);
    this.decisions = new DecisionLog(db);
    this.approvals = new ApprovalStore(db);
    this.usage = new UsageLog(db);
    this.jobs = new JobStore(db);
    this.sessionLeases = new SessionLeaseStore(db);
    this.settings = new SettingStore(db);
    this.replay = new ReplayTable(db);
    this.memory = new MemoryStore(db);
    this.memoryParts = new MemoryPartStore(db);
    this.expertise = new ExpertiseStore(db);
    this.groupTasks = new GroupTaskStore(db);
    this.workedTasks = new WorkedTaskStore(db);
    this.metrics = new MetricsQuery(db);
    this.groupTraces = new GroupTraceStore(db);
    this.members = new GroupMemberStore(db);
    this.certificates = new CertificateStore(db);
    this.invites = new InviteStore(db);
  }

  /**
   * Opens (creating if needed) and migrates a timeline database. Throws TimelineVersionError for
   * a database from a newer KafClaw, an Error naming the step when a migration fails, and a
   * DiskFullError when the disk is full.
   */
  static open(path: string, options: TimelineOptions = {}): Timeline {
    let raw: DatabaseSync;
    try {
      prepareFile(path);
      raw = new DatabaseSync(path, {
        timeout: options.busyTimeoutMs ?? 5000,
        allowExtension: options.extensions !== undefined,
      });
    } catch (error) {
      throw storageError(error, path);
    }
    try {
      enableWal(raw, options.busyTimeoutMs ?? 5000);
      raw.exec("PRAGMA synchronous = NORMAL");
      raw.exec("PRAGMA foreign_keys = ON");
      // Vector and full-text scans of memory read pages through the map, not copies of them.
      raw.exec(`PRAGMA mmap_size = ${MMAP_BYTES}`);
      options.extensions?.(raw);
      migrate(raw, { path });
    } catch (error) {
      raw.close();
      throw storageError(error, path);
    }
    if (path !== ":memory:") { for (const suffix of SIBLINGS) restrict(path + suffix); }
    const timeline = new Timeline(path, new Db(raw, options.now ?? (() => new Date()), path));
    if (options.extensions !== undefined) {
      try {
        timeline.memory.vectors.adoptVec0();
      } catch (error) {
        timeline.close();
        throw new Error(
          `Cannot move memory's vectors out of the sqlite-vec table of ${JSON.stringify(path)}: ` +
            (error as Error).message,
          { cause: error },
        );
      }
    }
    return timeline;
  }

  /**
   * Runs `fn` in one `BEGIN IMMEDIATE` transaction (repository calls inside join it): all of its
   * writes happen, or none.
   */
  transaction<T>(fn: () => T): T {
    return this.#db.tx(fn);
  }

  /** The database's settings and capabilities. */
  info(): TimelineInfo {
    const one = (sql: string) => this.#db.get(sql)!;
    const mmap = this.#db.get("PRAGMA mmap_size"); // no row for `:memory:`
    return {
      path: this.path,
      schemaVersion: int(one("PRAGMA user_version"), "user_version"),
      sqliteVersion: text(one("SELECT sqlite_version() AS v"), "v"),
      journalMode: text(one("PRAGMA journal_mode"), "journal_mode"),
      foreignKeys: bool(one("PRAGMA foreign_keys"), "foreign_keys"),
      busyTimeoutMs: int(one("PRAGMA busy_timeout"), "timeout"),
      fts5: bool(one("SELECT sqlite_compileoption_used('ENABLE_FTS5') AS f"), "f"),
      mmapBytes: mmap === undefined ? 0 : int(mmap, "mmap_size"),
    };
  }

  /** Closes the database. Further calls fail. */
  close(): void {
    this.#db.close();
  }

  /** Closes the database. */
  [Symbol.dispose](): void {
    this.close();
  }
}
