/**
 * Errors and what they wrap: one walk along an error's `cause` (kafkajs's `originalError`, an
 * aggregate's `errors`), bounded and safe against a chain that loops, for every reader that looks
 * past the outermost error for its class or its words; and {@link settleAll}, which lets parts
 * started together end before it throws the first failure among them.
 *
 * ```ts
 * import { chainMessages } from "./mod.ts";
 * chainMessages(new Error("fetch failed", { cause: new Error("connection refused") }));
 * // ["fetch failed", "connection refused"]
 * ```
 *
 * @module
 */
export { CHAIN_LIMIT, chainMessages, errorChain, type ErrorFacts } from "./chain.ts";
export { settleAll } from "./settle.ts";
