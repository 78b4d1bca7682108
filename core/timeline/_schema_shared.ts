/**
 * Schema step 11: shared memory of a group (PROTOCOL.md `memory`, semantics 8). A context item
 * expires: its chunks carry the time (`expires_at`, ISO 8601 in UTC like every time here), a
 * search never sees a chunk past it, and a sweep deletes them (their vectors go with them). Chunks
 * without it (everything else) never expire this way. The parts of an item wait in `memory_parts`
 * until all have come, across restarts.
 *
 * @module
 */

/** Step 11: the expiry of memory chunks, the parts of items waiting for the rest. */
export const SHARED_MEMORY_SQL = `
ALTER TABLE memory_chunks ADD COLUMN expires_at TEXT;
CREATE INDEX memory_chunks_expiry ON memory_chunks (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE memory_parts (
  author_id TEXT NOT NULL,
  item_id TEXT NOT NULL,
  part INTEGER NOT NULL CHECK (part >= 0),
  payload TEXT NOT NULL CHECK (json_valid(payload)),
  received_at TEXT NOT NULL,
  PRIMARY KEY (author_id, item_id, part)
);
`;
