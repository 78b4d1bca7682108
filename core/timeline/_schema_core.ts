/**
 * Schema step 1: what the agent loop, policy, approvals, quotas, the scheduler and the protocol's
 * replay table write. Times are ISO 8601 UTC text with milliseconds (`Date.toISOString()`), so text
 * order is time order; replay expiry is milliseconds since the epoch (the protocol's unit).
 *
 * @module
 */

const TAINT = "CHECK (taint IN ('trusted', 'untrusted'))";
const MESSAGE_TYPE = "CHECK (message_type IN ('internal', 'external'))";
const BOOL = (name: string) => `CHECK (${name} IN (0, 1))`;
const OBJECT = (name: string) => `CHECK (json_valid(${name}) AND json_type(${name}) = 'object')`;

/** Timeline events, tasks, policy decisions, approvals, usage, jobs, settings, replay ids. */
export const CORE_SQL = `
CREATE TABLE timeline_events (
  id INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  parent_span_id TEXT,
  kind TEXT NOT NULL,
  session_key TEXT,
  channel TEXT,
  sender TEXT,
  content_text TEXT NOT NULL DEFAULT '',
  metadata TEXT NOT NULL DEFAULT '{}' ${OBJECT("metadata")},
  started_at TEXT NOT NULL,
  ended_at TEXT,
  duration_ms INTEGER,
  taint TEXT NOT NULL DEFAULT 'trusted' ${TAINT},
  zone TEXT
);
CREATE INDEX timeline_events_trace ON timeline_events (trace_id, started_at);
CREATE INDEX timeline_events_session ON timeline_events (session_key, id);

CREATE TABLE tasks (
  id INTEGER PRIMARY KEY,
  task_id TEXT NOT NULL UNIQUE,
  idempotency_key TEXT NOT NULL UNIQUE,
  trace_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  chat_id TEXT NOT NULL DEFAULT '',
  sender_id TEXT NOT NULL DEFAULT '',
  message_type TEXT NOT NULL DEFAULT 'internal' ${MESSAGE_TYPE},
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
  content_in TEXT NOT NULL DEFAULT '',
  content_out TEXT,
  error_text TEXT,
  prompt_tokens INTEGER NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
  completion_tokens INTEGER NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
  total_tokens INTEGER NOT NULL DEFAULT 0 CHECK (total_tokens >= 0),
  provider TEXT,
  model TEXT,
  cost_usd REAL NOT NULL DEFAULT 0,
  delivery_status TEXT NOT NULL DEFAULT 'pending'
    CHECK (delivery_status IN ('pending', 'sent', 'failed', 'skipped')),
  delivery_attempts INTEGER NOT NULL DEFAULT 0,
  delivery_next_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  completed_at TEXT
);
CREATE INDEX tasks_delivery ON tasks (delivery_status, delivery_next_at);
CREATE INDEX tasks_trace ON tasks (trace_id);

CREATE TABLE policy_decisions (
  id INTEGER PRIMARY KEY,
  trace_id TEXT NOT NULL,
  task_id TEXT,
  tool TEXT NOT NULL,
  tier INTEGER NOT NULL CHECK (tier BETWEEN 0 AND 2),
  sender TEXT NOT NULL,
  channel TEXT NOT NULL,
  message_type TEXT NOT NULL ${MESSAGE_TYPE},
  taint TEXT NOT NULL ${TAINT},
  allowed INTEGER NOT NULL ${BOOL("allowed")},
  requires_approval INTEGER NOT NULL DEFAULT 0 ${BOOL("requires_approval")},
  reason TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX policy_decisions_trace ON policy_decisions (trace_id, id);

CREATE TABLE approval_requests (
  id INTEGER PRIMARY KEY,
  approval_id TEXT NOT NULL UNIQUE,
  trace_id TEXT NOT NULL,
  task_id TEXT,
  session_key TEXT,
  tool TEXT NOT NULL,
  tier INTEGER NOT NULL CHECK (tier BETWEEN 0 AND 2),
  arguments TEXT NOT NULL DEFAULT '{}' ${OBJECT("arguments")},
  requester TEXT NOT NULL,
  channel TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'approved', 'denied', 'timeout')),
  reason TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  responded_at TEXT,
  responder TEXT
);
CREATE INDEX approval_requests_pending ON approval_requests (status, expires_at);

CREATE TABLE llm_usage (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  agent TEXT NOT NULL DEFAULT '',
  sender TEXT NOT NULL DEFAULT '',
  channel TEXT NOT NULL DEFAULT '',
  provider TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  trace_id TEXT,
  task_id TEXT,
  prompt_tokens INTEGER NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
  completion_tokens INTEGER NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
  cost_usd REAL NOT NULL DEFAULT 0
);
CREATE INDEX llm_usage_at ON llm_usage (at);
CREATE INDEX llm_usage_sender ON llm_usage (sender, at);
CREATE INDEX llm_usage_agent ON llm_usage (agent, at);

CREATE TABLE scheduled_jobs (
  id INTEGER PRIMARY KEY,
  job_name TEXT NOT NULL UNIQUE,
  schedule TEXT NOT NULL,
  message TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1 ${BOOL("enabled")},
  last_status TEXT,
  last_run_at TEXT,
  next_run_at TEXT,
  run_count INTEGER NOT NULL DEFAULT 0,
  lock_owner TEXT,
  lock_until TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE replay_ids (
  sender TEXT NOT NULL,
  id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (sender, id)
) WITHOUT ROWID;
CREATE INDEX replay_ids_expiry ON replay_ids (expires_at);
`;
