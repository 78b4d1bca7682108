/**
 * The one check of a zone named on the command line (`memory search --zone`, `task submit
 * --zone`, `orchestrator dispatch --zone`, `group admit|acl --zones`, `zone <id>`): an id of the
 * protocol's charset, or a usage error in one line that names where the value came from.
 *
 * @module
 */
import { isId } from "../core/protocol/mod.ts";
import { UsageError } from "./_errors.ts";

/** What a zone id may hold, as the error says it. */
const ZONE_ID_RULE = "a-z, 0-9, _ and -, starting with a letter or digit, at most 64";

/**
 * `value` when it is a zone id; otherwise a {@link UsageError}: `--zone "Lab.Bad" is not a zone
 * id (a-z, …)`, `where` naming the flag or argument (`zone` when not given).
 */
export function zoneId(value: string, where = "zone"): string {
  if (isId(value)) return value;
  throw new UsageError(`${where} "${value}" is not a zone id (${ZONE_ID_RULE})`);
}
