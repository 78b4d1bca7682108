/**
 * Schema step 10: what group membership and trust keep across restarts (PROTOCOL.md, Membership
 * and trust). The roster itself lives in `group_members` (step 3), which gains the load and
 * expertise of each member's last heartbeat; certificates are cached here by agent, apart from
 * liveness, so a quiet member's records still verify; invites are the owner's one-time secrets for
 * gated onboarding, each used at most once. Step 12 adds where each replay id's record was.
 *
 * @module
 */

/** Step 10: heartbeat facts of members, the certificate cache, the invites. */
export const GROUP_TRUST_SQL = `
ALTER TABLE group_members ADD COLUMN load_running INTEGER NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN load_capacity INTEGER NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN expertise TEXT NOT NULL DEFAULT '{}'
  CHECK (json_valid(expertise));

CREATE TABLE group_certificates (
  agent_id TEXT PRIMARY KEY,
  cert TEXT,
  cert_sig TEXT,
  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
  reason TEXT,
  updated_at TEXT NOT NULL,
  CHECK (revoked = 1 OR (cert IS NOT NULL AND cert_sig IS NOT NULL))
);

CREATE TABLE group_invites (
  id TEXT PRIMARY KEY,
  group_name TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  used_by TEXT
);
`;

/**
 * Step 12: where each remembered replay id's record was (`topic@partition:offset`), so that the
 * same record delivered again after a crash or a rebalance is told from a copy appended again
 * (core/protocol replay.ts). Ids remembered before have no place: met again, they are replays.
 */
export const REPLAY_PLACE_SQL = `
ALTER TABLE replay_ids ADD COLUMN place TEXT;
`;
