/** Test helpers for configuration: a throwaway KAFCLAW_HOME that removes itself. */

/** A temporary KAFCLAW_HOME (never the real ~/.kafclaw), removed at the end of its scope. */
export async function tempHome(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "kafclaw-config-" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.chmod(path, 0o700).catch(() => {});
      await Deno.remove(path, { recursive: true });
    },
  };
}

/** Writes a config.json into a home, 0600, and returns its path. */
export async function writeConfig(home: string, value: unknown): Promise<string> {
  const file = `${home}/config.json`;
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2) + "\n";
  await Deno.writeTextFile(file, text, { mode: 0o600 });
  return file;
}
