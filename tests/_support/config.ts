/**
 * A config resolved as the product resolves it, whatever keys the test sets: the structured keys'
 * schemas loaded first when one is set (core/config `prepareStructured`).
 */
import {
  prepareStructured,
  resolveConfig,
  type ResolvedConfig,
  type ResolveOptions,
} from "../../core/config/mod.ts";

/** {@link resolveConfig}, after {@link prepareStructured}. */
export async function resolvedConfig(options: ResolveOptions): Promise<ResolvedConfig> {
  await prepareStructured(options);
  return resolveConfig(options);
}
