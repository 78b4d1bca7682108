/** The fields of an error (or anything thrown) that its readers look at. */
export interface ErrorFacts {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly type?: unknown;
  readonly broker?: unknown;
  readonly cause?: unknown;
  /** kafkajs's wrappers keep what they wrap here as well as, or instead of, `cause`. */
  readonly originalError?: unknown;
  /** An aggregate's errors (AggregateError's, and kafkajs's KafkaJSAggregateError's). */
  readonly errors?: unknown;
}

/** How many errors {@link errorChain} gives at most. */
export const CHAIN_LIMIT = 8;

/**
 * `error` and the errors it wraps, outermost first: each one's `cause`, then its `originalError`
 * (kafkajs's), then an aggregate's `errors` in their order, depth first. An object seen before
 * ends its branch, so a chain that loops back on itself ends too, and at most
 * {@link CHAIN_LIMIT} are given. Only objects: a thrown string has no chain.
 */
export function errorChain(error: unknown): ErrorFacts[] {
  const out: ErrorFacts[] = [];
  const walk = (at: unknown): void => {
    if (typeof at !== "object" || at === null || out.length >= CHAIN_LIMIT) return;
    if (out.includes(at as ErrorFacts)) return;
    const facts = at as ErrorFacts;
    out.push(facts);
    walk(facts.cause);
    walk(facts.originalError);
    if (Array.isArray(facts.errors)) facts.errors.forEach(walk);
  };
  walk(error);
  return out;
}

/** The messages of `error` and the errors it wraps, outermost first; those that are not text left out. */
export function chainMessages(error: unknown): string[] {
  return errorChain(error).flatMap((e) => typeof e.message === "string" ? [e.message] : []);
}
