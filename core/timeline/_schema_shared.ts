/**
 * Schema step 11: shared memory of a group (PROTOCOL.md `memory`, semantics 8). A context item
 * expires: its chunks carry the time (`expires_at`, ISO 8601 in UTC like every time here), a
 * search never sees a chunk past it, and a sweep deletes them (their vectors go with them). Chunks
 * without it (everything else) never expire this way.
 *
 * @module
 */

/** Step 11: the expiry of memory chunks. */
export const SHARED_MEMORY_SQL = `
ALTER TABLE memory_chunks ADD COLUMN expires_at TEXT;
CREATE INDEX memory_chunks_expiry ON memory_chunks (expires_at) WHERE expires_at IS NOT NULL;
`;
