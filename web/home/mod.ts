/**
 * What a gateway leaves in KAFCLAW_HOME for the CLI and the dashboard of the same home: its token
 * (`gateway.token`, generated on the first start outside headless mode and kept) and where it
 * listens (`gateway.run.json`, while it runs). Both files are 0600: the token is the key to the
 * API, and whoever can read the home's files is its owner already.
 *
 * @module
 */
import { join } from "node:path";

/** The token file in KAFCLAW_HOME. */
export const TOKEN_FILE = "gateway.token";
/** The file that says where the running gateway listens. */
export const RUN_FILE = "gateway.run.json";

/** What {@link RUN_FILE} holds. */
export interface RunFile {
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  readonly dashboard_port: number;
}

/**
 * The token of this home's gateway: the one in {@link TOKEN_FILE}, or a new one (32 random bytes)
 * written there 0600 when there is none yet, or when what is there is not a token.
 */
export async function localToken(home: string): Promise<string> {
  const path = join(home, TOKEN_FILE);
  const known = await readToken(home);
  if (known !== undefined) return known;
  // Only a new token needs the protocol's encoder: `kafclaw status`, which reads this home's run
  // and token files, does not load the protocol for it.
  const { encodeBase64Url } = await import("../../core/protocol/mod.ts");
  const token = encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  await Deno.mkdir(home, { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(`${path}.tmp`, `${token}\n`, { mode: 0o600 });
  await Deno.chmod(`${path}.tmp`, 0o600);
  await Deno.rename(`${path}.tmp`, path);
  return token;
}

/** The token in {@link TOKEN_FILE}, or undefined when there is none (or it holds no token). */
export async function readToken(home: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(home, TOKEN_FILE));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const token = text.trim();
  return /^[\w-]{32,}$/.test(token) ? token : undefined;
}

/** Writes {@link RUN_FILE} (0600), replacing any left by a gateway that did not stop cleanly. */
export async function writeRunFile(home: string, run: RunFile): Promise<void> {
  const path = join(home, RUN_FILE);
  await Deno.writeTextFile(`${path}.tmp`, JSON.stringify(run) + "\n", { mode: 0o600 });
  await Deno.chmod(`${path}.tmp`, 0o600);
  await Deno.rename(`${path}.tmp`, path);
}

/** Removes {@link RUN_FILE} if it is still this process's (a later gateway may have replaced it). */
export async function removeRunFile(home: string, pid = Deno.pid): Promise<void> {
  if ((await readRunFile(home))?.pid !== pid) return;
  await Deno.remove(join(home, RUN_FILE)).catch(() => {});
}

/** What {@link RUN_FILE} says, or undefined when there is none or it cannot be read as one. */
export async function readRunFile(home: string): Promise<RunFile | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await Deno.readTextFile(join(home, RUN_FILE)));
  } catch {
    return undefined;
  }
  const v = value as Partial<RunFile> | null;
  const port = (n: unknown): n is number => Number.isInteger(n) && n as number > 0;
  if (typeof v?.host !== "string" || !port(v.port) || !port(v.dashboard_port)) return undefined;
  if (!Number.isInteger(v.pid)) return undefined;
  return v as RunFile;
}
