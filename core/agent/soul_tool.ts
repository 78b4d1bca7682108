/**
 * The one way the agent changes its own soul files: a dedicated tool that asks the owner first.
 * Soul files live in `$KAFCLAW_HOME/soul/`, outside the workspace, so no other tool reaches them.
 *
 * @module
 */
import { defineTool, toolArgs, toolError, toolOk } from "../tools/mod.ts";
import type { Tool } from "../tools/mod.ts";
import { SOUL_FILES } from "./context.ts";

/** Writes a file atomically with mode 0600: a failed write leaves the old file as it was. */
async function writeAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(temp, text, { mode: 0o600, createNew: true });
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

const UPDATE_SOUL_FILE_ARGS = toolArgs("update_soul_file", (z) =>
  z.strictObject({
    file: z.enum(SOUL_FILES).describe("Which soul file"),
    content: z.string().max(64_000).describe("The whole new content of the file"),
  }));

/** The `update_soul_file` tool for a soul folder. */
export function soulTool(soulDir: string): Tool {
  return defineTool({
    description: `Replace one of your soul files (${SOUL_FILES.join(", ")}) with new content. ` +
      "Your owner must approve every change.",
    tier: 2,
    // A confirmation; the owner approved the content.
    output: "owner",
    approval: "soul files change only with the owner's approval",
    args: UPDATE_SOUL_FILE_ARGS,
    // The policy asks the owner before every call (`approval`): by the time this runs, the owner
    // has approved this very content.
    async run(args) {
      try {
        await Deno.mkdir(soulDir, { recursive: true, mode: 0o700 });
        await writeAtomic(`${soulDir}/${args.file}`, args.content);
      } catch (error) {
        return toolError(`Cannot write ${args.file}: ${(error as Error).message}`);
      }
      return toolOk(`Updated ${args.file}; it applies from the next message on`);
    },
  });
}
