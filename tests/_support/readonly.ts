/**
 * Makes a folder unwritable for this process, also when the tests run as root (as CI does), where
 * folder permissions are ignored: then the folder is made immutable with `chattr +i` instead.
 * Returns a function that makes it writable again.
 */
export async function makeReadOnly(path: string): Promise<() => Promise<void>> {
  if (Deno.uid() !== 0) {
    await Deno.chmod(path, 0o500);
    return () => Deno.chmod(path, 0o700);
  }
  const chattr = async (flag: string) => {
    const out = await new Deno.Command("chattr", { args: [flag, path], stderr: "piped" }).output();
    if (!out.success) {
      throw new Error(`chattr ${flag} ${path} failed: ${new TextDecoder().decode(out.stderr)}`);
    }
  };
  await chattr("+i");
  return () => chattr("-i");
}
