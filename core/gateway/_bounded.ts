/**
 * Waiting for a step of the gateway's stop with a limit, so that a stuck step never holds the
 * process past its bound (the transport's, which closes subscriptions within one too).
 *
 * @module
 */
export { bounded } from "../transport/mod.ts";
