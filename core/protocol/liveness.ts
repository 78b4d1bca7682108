/**
 * When a member counts as gone (PROTOCOL.md, semantics 6): each is judged by the heartbeat interval
 * it announced; silent for {@link STALE_AFTER} of them it is `stale`, for {@link REMOVE_AFTER} it
 * is off the live roster. Kept with the protocol, not the roster, so that what only asks whether
 * this home's member still beats (`kafclaw group members`, `task submit`) needs no group code.
 *
 * @module
 */

/** How many silent intervals make a member stale. */
export const STALE_AFTER = 3;
/** How many silent intervals remove a member from the live roster. */
export const REMOVE_AFTER = 6;
