/**
 * Schema steps 2 to 9: memory and expertise, the group's tables, and later additions. Repositories
 * come with the work that uses them; the tables are here so that every process agrees on one schema.
 *
 * @module
 */

/**
 * Memory chunks with an FTS5 index over content and tags, kept in step by triggers. `seq` is an
 * explicit INTEGER PRIMARY KEY because VACUUM may renumber an implicit rowid, and both the FTS5
 * index and a vector index key their rows by that integer; `id` is the chunk's own text id.
 */
export const MEMORY_SQL = `
CREATE TABLE memory_chunks (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  content TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '',
  taint TEXT NOT NULL DEFAULT 'trusted' CHECK (taint IN ('trusted', 'untrusted')),
  zone TEXT,
  embedding_model TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX memory_chunks_source ON memory_chunks (source, created_at);

CREATE VIRTUAL TABLE memory_fts USING fts5 (
  content, tags, content = 'memory_chunks', content_rowid = 'seq',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER memory_chunks_fts_insert AFTER INSERT ON memory_chunks BEGIN
  INSERT INTO memory_fts (rowid, content, tags) VALUES (new.seq, new.content, new.tags);
END;
CREATE TRIGGER memory_chunks_fts_delete AFTER DELETE ON memory_chunks BEGIN
  INSERT INTO memory_fts (memory_fts, rowid, content, tags)
    VALUES ('delete', old.seq, old.content, old.tags);
END;
CREATE TRIGGER memory_chunks_fts_update AFTER UPDATE OF content, tags ON memory_chunks BEGIN
  INSERT INTO memory_fts (memory_fts, rowid, content, tags)
    VALUES ('delete', old.seq, old.content, old.tags);
  INSERT INTO memory_fts (rowid, content, tags) VALUES (new.seq, new.content, new.tags);
END;

CREATE TABLE agent_expertise (
  skill TEXT PRIMARY KEY,
  success_count INTEGER NOT NULL DEFAULT 0,
  failure_count INTEGER NOT NULL DEFAULT 0,
  avg_quality REAL NOT NULL DEFAULT 0,
  total_duration_ms INTEGER NOT NULL DEFAULT 0,
  last_used TEXT,
  trend TEXT NOT NULL DEFAULT 'stable' CHECK (trend IN ('improving', 'stable', 'declining'))
);

CREATE TABLE skill_events (
  id INTEGER PRIMARY KEY,
  skill TEXT NOT NULL REFERENCES agent_expertise (skill) ON DELETE CASCADE,
  task_id TEXT,
  action TEXT NOT NULL,
  quality REAL NOT NULL,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  created_at TEXT NOT NULL
);
CREATE INDEX skill_events_skill ON skill_events (skill, id);
`;

/**
 * The group's roster, tasks (one row per task and direction, holding the current attempt),
 * traces, shared memory, skill channels and delegation events (PROTOCOL.md).
 */
export const GROUP_SQL = `
CREATE TABLE group_members (
  agent_id TEXT PRIMARY KEY,
  agent_name TEXT NOT NULL DEFAULT '',
  soul_summary TEXT NOT NULL DEFAULT '',
  capabilities TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(capabilities)),
  skills TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(skills)),
  channels TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(channels)),
  zones TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(zones)),
  model TEXT NOT NULL DEFAULT '',
  role TEXT,
  parent_id TEXT,
  endpoint TEXT,
  public_key TEXT,
  status TEXT NOT NULL DEFAULT 'active',
  heartbeat_interval_ms INTEGER,
  joined_at TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  left_at TEXT
);

CREATE TABLE group_tasks (
  id INTEGER PRIMARY KEY,
  task_id TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('outgoing', 'incoming')),
  attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  seq INTEGER NOT NULL DEFAULT 0,
  description TEXT NOT NULL DEFAULT '',
  content TEXT NOT NULL DEFAULT '',
  skill TEXT,
  zone TEXT,
  requester_id TEXT NOT NULL,
  target_id TEXT,
  worker_id TEXT,
  parent_task_id TEXT,
  delegation_depth INTEGER NOT NULL DEFAULT 0 CHECK (delegation_depth >= 0),
  delegation_chain TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(delegation_chain)),
  original_requester_id TEXT NOT NULL,
  deadline_at TEXT,
  arbiter TEXT NOT NULL DEFAULT 'none' CHECK (arbiter IN ('requester', 'none')),
  status TEXT NOT NULL,
  response_content TEXT,
  reason TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  responded_at TEXT,
  UNIQUE (task_id, direction)
);
CREATE INDEX group_tasks_status ON group_tasks (direction, status);

CREATE TABLE group_traces (
  id INTEGER PRIMARY KEY,
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  parent_span_id TEXT,
  source_agent_id TEXT NOT NULL,
  span_type TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  content_hash TEXT,
  content TEXT,
  attributes TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
  zone TEXT,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  duration_ms INTEGER,
  created_at TEXT NOT NULL,
  UNIQUE (trace_id, span_id, source_agent_id)
);

CREATE TABLE group_memory_items (
  id INTEGER PRIMARY KEY,
  item_id TEXT NOT NULL UNIQUE,
  author_id TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  content_type TEXT NOT NULL DEFAULT 'text/plain',
  content TEXT,
  sha256 TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
  zone TEXT,
  lfs_bucket TEXT,
  lfs_key TEXT,
  metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  created_at TEXT NOT NULL,
  expires_at TEXT
);

CREATE TABLE skill_channels (
  id INTEGER PRIMARY KEY,
  skill TEXT NOT NULL,
  group_name TEXT NOT NULL,
  requests_topic TEXT NOT NULL,
  responses_topic TEXT NOT NULL,
  registered_by TEXT NOT NULL,
  zones TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(zones)),
  created_at TEXT NOT NULL,
  UNIQUE (skill, group_name)
);

CREATE TABLE delegation_events (
  id INTEGER PRIMARY KEY,
  task_id TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 1,
  event_type TEXT NOT NULL,
  sender_id TEXT NOT NULL,
  receiver_id TEXT,
  summary TEXT NOT NULL DEFAULT '',
  depth INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE INDEX delegation_events_task ON delegation_events (task_id, id);
`;

/** Step 4: where a job was defined, so config can own its jobs without touching the CLI's. */
export const JOB_ORIGIN_SQL = `
ALTER TABLE scheduled_jobs ADD COLUMN origin TEXT NOT NULL DEFAULT 'cli'
  CHECK (origin IN ('cli', 'config'));
`;

/**
 * Step 5: when the process waiting for a request last said it still waits, so that a process
 * starting up times out only the requests whose waiter is gone, not those of a live neighbour.
 */
export const APPROVAL_ALIVE_SQL = `
ALTER TABLE approval_requests ADD COLUMN alive_at TEXT;
`;

/**
 * Step 6: who holds each session, so that one session's turns run one at a time across the
 * processes sharing a KAFCLAW_HOME. A holder renews its lease while its turn runs.
 */
export const SESSION_LEASE_SQL = `
CREATE TABLE session_leases (
  session_key TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  lease_until TEXT NOT NULL,
  taken_at TEXT NOT NULL
);
`;

/**
 * Step 7: chunks indexed by embedding model, so that asking whether any chunk holds another
 * model's vector (before every vector search) reads a few index pages instead of every chunk.
 */
export const MEMORY_MODEL_SQL = `
CREATE INDEX memory_chunks_model ON memory_chunks (embedding_model);
`;

/**
 * Step 8: memory's vectors in a table of their own, one row per chunk with a vector, each beside
 * its binary code (the signs of the vector minus its model's mean, see core/memory/codes.ts) and
 * the model and zone it belongs to, which never change for a row. A search scores every code in
 * memory and reads back only the best few hundred vectors, by `id`: sqlite-vec's vec0 table kept
 * its vectors in blobs of 1024, where reading one vector costs a walk through a blob of 1.5 MiB.
 * The covering index lets a process load every code without reading the vectors. `id` is never
 * reused (AUTOINCREMENT): a process holding codes in memory asks for the rows after the last id
 * it saw, and a replaced vector gets a new id. Every deleted row (with its chunk, by the cascade)
 * is written to `memory_vectors_gone`, which keeps the last 10,000, so that such a process also
 * learns what went. Each model's mean (per size) is fixed once stored. The vectors of an older
 * vec0 table are moved here by the first connection that has sqlite-vec loaded (chunk_vectors.ts).
 */
export const MEMORY_VECTORS_SQL = `
CREATE TABLE memory_vectors (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  seq INTEGER NOT NULL UNIQUE REFERENCES memory_chunks (seq) ON DELETE CASCADE,
  model TEXT NOT NULL,
  zone TEXT,
  code BLOB,
  vector BLOB NOT NULL
);
CREATE INDEX memory_vectors_codes ON memory_vectors (id, model, zone, code);
CREATE TABLE memory_vectors_gone (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  vector_id INTEGER NOT NULL
);
CREATE TRIGGER memory_vectors_delete AFTER DELETE ON memory_vectors BEGIN
  INSERT INTO memory_vectors_gone (vector_id) VALUES (old.id);
  DELETE FROM memory_vectors_gone WHERE id <= (SELECT max(id) FROM memory_vectors_gone) - 10000;
END;
CREATE TABLE memory_vector_means (
  model TEXT NOT NULL,
  dimension INTEGER NOT NULL,
  mean BLOB NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (model, dimension)
);
`;

/**
 * Step 9: what a requester needs to resume its unfinished outgoing tasks after a restart: the
 * request as sent (type and payload, JSON), the workers it must not send the task to again (those
 * whose lease lapsed, those that declined), and the topic of the current attempt.
 */
export const GROUP_TASK_RESUME_SQL = `
ALTER TABLE group_tasks ADD COLUMN request TEXT CHECK (request IS NULL OR json_valid(request));
ALTER TABLE group_tasks ADD COLUMN excluded TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(excluded));
ALTER TABLE group_tasks ADD COLUMN topic TEXT;
`;
