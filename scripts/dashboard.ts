/**
 * `deno task dashboard`: bundles the dashboard's app (web/dashboard/app/, Preact and htm from npm)
 * for the browser and writes it, with its page and style sheets (style.css, then pages/*.css), into web/dashboard/_bundle.ts, a
 * module the gateway imports, so that `deno compile` carries it and nothing is fetched at run
 * time. The module records a digest of its sources; `--check` exits 1 when the sources (or the
 * pinned versions of Preact and htm) changed since, and a unit test does the same.
 */
import { createHash } from "node:crypto";

const root = new URL("../", import.meta.url);
const APP = new URL("web/dashboard/app/", root);
const OUT = new URL("web/dashboard/_bundle.ts", root);

/** The app's source files, relative to app/, sorted. */
async function sources(dir = APP, prefix = ""): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const name = `${prefix}${entry.name}`;
    if (entry.isDirectory) names.push(...await sources(new URL(`${entry.name}/`, dir), `${name}/`));
    else names.push(name);
  }
  return names.sort();
}

/**
 * The digest of the app's sources and of the versions deno.json pins for the libraries they
 * import (every bare specifier of a source: preact, htm, the layout library, ...).
 */
export async function sourcesDigest(): Promise<string> {
  const hash = createHash("sha256");
  const imports: Record<string, string> =
    JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).imports;
  const libraries = new Set<string>();
  for (const name of await sources()) {
    const text = await Deno.readFile(new URL(name, APP));
    hash.update(`${name}\n`).update(text).update("\n");
    for (const [, specifier] of new TextDecoder().decode(text).matchAll(/from "([^./][^"]*)"/g)) {
      libraries.add(specifier!);
    }
  }
  for (const library of [...libraries].sort()) {
    const pinned = imports[library] ??
      Object.entries(imports).find(([key]) => key.endsWith("/") && library.startsWith(key))?.[1];
    hash.update(`${library}=${pinned}\n`);
  }
  return hash.digest("hex");
}

/** The digest that web/dashboard/_bundle.ts was built from. */
export async function builtDigest(): Promise<string | undefined> {
  const text = await Deno.readTextFile(OUT).catch(() => "");
  return /SOURCES_SHA256 = "([0-9a-f]{64})"/.exec(text)?.[1];
}

async function build(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-dashboard-" });
  try {
    const out = `${dir}/app.js`;
    const bundled = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--platform", "browser", "--minify", "-o", out, "main.js"],
      cwd: APP,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!bundled.success) {
      console.error(`deno bundle failed:\n${new TextDecoder().decode(bundled.stderr)}`);
      Deno.exit(1);
    }
    const js = await Deno.readTextFile(out);
    const html = await Deno.readTextFile(new URL("index.html", APP));
    // style.css first, then each page's own style sheet (pages/NAME.css), by name.
    const sheets = [
      "style.css",
      ...(await sources()).filter((n) => n.startsWith("pages/") && n.endsWith(".css")),
    ];
    const css = (await Promise.all(sheets.map((n) => Deno.readTextFile(new URL(n, APP))))).join(
      "\n",
    );
    const module = [
      "// deno-fmt-ignore-file",
      "// deno-lint-ignore-file",
      "/**",
      " * The dashboard's page, script and style sheet, written by `deno task dashboard` from",
      " * web/dashboard/app/ (the script bundled with Preact and htm). Do not edit: run the task.",
      " *",
      " * @module",
      " */",
      `export const SOURCES_SHA256 = "${await sourcesDigest()}";`,
      `export const INDEX_HTML = ${JSON.stringify(html)};`,
      `export const APP_CSS = ${JSON.stringify(css)};`,
      `export const APP_JS = ${JSON.stringify(js)};`,
      "",
    ].join("\n");
    await Deno.writeTextFile(OUT, module);
    console.log(`web/dashboard/_bundle.ts: ${js.length} bytes of script, ${css.length} of style`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  if (Deno.args.includes("--check")) {
    if (await builtDigest() !== await sourcesDigest()) {
      console.error(
        "web/dashboard/_bundle.ts is older than web/dashboard/app/: run `deno task dashboard`",
      );
      Deno.exit(1);
    }
  } else {
    await build();
  }
}
