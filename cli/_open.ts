/**
 * `kafclaw gateway --open`: opens the dashboard in the user's browser (`xdg-open`, `open` on
 * macOS), logged in. The token never goes into the URL: the URL's fragment carries a one-time
 * code (web/dashboard/codes.ts) that the page trades for the token once, within two minutes, on
 * the dashboard's own origin; a fragment is not sent to any server, and a spent code is worth
 * nothing in a history or a process list.
 *
 * @module
 */

/** The dashboard's address for a browser on this machine (a wildcard bind: the loopback one). */
export function dashboardUrl(host: string, port: number): string {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  const name = bare === "0.0.0.0" ? "127.0.0.1" : bare === "::" ? "::1" : bare;
  return `http://${name.includes(":") ? `[${name}]` : name}:${port}/`;
}

/** The command that opens a URL in the user's browser on `os`, if it has one. */
export function opener(os: typeof Deno.build.os): string | undefined {
  if (os === "darwin") return "open";
  if (os === "linux" || os === "freebsd" || os === "netbsd") return "xdg-open";
  return undefined;
}

/**
 * Opens the dashboard of `door` logged in; what cannot be done is said in one line (with the
 * address without a code, to open by hand and log in with the token). Does not wait for the
 * browser.
 */
export function openDashboard(
  door: { readonly host: string; readonly dashboardPort: number; loginCode(): string },
  say: (line: string) => void,
  os: typeof Deno.build.os = Deno.build.os,
): void {
  const url = dashboardUrl(door.host, door.dashboardPort);
  const command = opener(os);
  const byHand = `open ${url} and log in with the gateway's token`;
  if (command === undefined) {
    say(`--open: no browser opener on ${os}; ${byHand}`);
    return;
  }
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args: [`${url}#code=${door.loginCode()}`],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? `${command} is not installed`
      : error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied
      ? `this process may not run ${command}`
      : (error as Error).message.split("\n")[0];
    say(`--open: could not open a browser (${why}); ${byHand}`);
    return;
  }
  child.unref();
  child.status.then((status) => {
    if (!status.success) say(`--open: ${command} failed (exit ${status.code}); ${byHand}`);
  }, () => {});
}
