/**
 * HTML to readable text for the model: scripts, styles and tags go, links keep their targets,
 * block elements become line breaks, entities are decoded and whitespace collapsed. Not a full
 * HTML parser: good enough to read a page, never executed or rendered.
 *
 * @module
 */

/** The readable parts of an HTML page. */
export interface HtmlText {
  readonly title: string;
  readonly text: string;
}

const NAMED: Readonly<Record<string, string>> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  copy: "©",
  reg: "®",
  trade: "™",
  mdash: "—",
  ndash: "–",
  hellip: "…",
  laquo: "«",
  raquo: "»",
  lsquo: "‘",
  rsquo: "’",
  ldquo: "“",
  rdquo: "”",
  middot: "·",
  bull: "•",
  euro: "€",
  pound: "£",
  yen: "¥",
  cent: "¢",
  deg: "°",
  times: "×",
  divide: "÷",
  shy: "",
};

/** Decodes character references: named (common ones), decimal and hexadecimal. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|[a-zA-Z]{2,8});/g, (whole, ref: string) => {
    if (ref.startsWith("#")) {
      const code = ref[1] === "x" || ref[1] === "X"
        ? parseInt(ref.slice(2), 16)
        : Number(ref.slice(1));
      const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
      return valid ? String.fromCodePoint(code) : "\uFFFD";
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

const DROP =
  /<(script|style|noscript|template|svg|iframe|object|canvas|head)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const BLOCK =
  /<\/?(p|div|br|hr|h[1-6]|section|article|header|footer|nav|main|aside|pre|blockquote|table|tr|ul|ol|dl|dt|dd|form|fieldset|figure|figcaption|details|summary|address)\b[^>]*>/gi;

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, "i").exec(tag);
  return match ? decodeEntities(match[1] ?? match[2] ?? match[3] ?? "") : undefined;
}

function linkTarget(href: string | undefined, base: string | undefined): string | undefined {
  if (href === undefined || href.startsWith("#")) return undefined;
  try {
    const url = new URL(href, base);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Extracts the title and readable text of an HTML document. Relative links are resolved against
 * `baseUrl` and written as `[text](url)`.
 *
 * @example
 * ```ts
 * import { htmlToText } from "./html_text.ts";
 * const page = htmlToText("<title>Hi</title><p>One &amp; two</p><script>x()</script>");
 * console.assert(page.title === "Hi" && page.text === "One & two");
 * ```
 */
export function htmlToText(html: string, baseUrl?: string): HtmlText {
  const titleMatch = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html);
  const title = decodeEntities((titleMatch?.[1] ?? "").replace(/<[^>]*>/g, ""))
    .replace(/\s+/g, " ").trim();
  let body = html.replace(/<!--[\s\S]*?-->/g, "").replace(DROP, " ");
  body = body.replace(/<title\b[^>]*>[\s\S]*?<\/title\s*>/gi, " ");
  body = body.replace(/<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi, (_, attrs: string, inner: string) => {
    const label = inner.replace(/<[^>]*>/g, "").replace(/\s+/g, " ").trim();
    const target = linkTarget(attribute(` ${attrs}`, "href"), baseUrl);
    if (target === undefined || label === "") return inner;
    return `[${label}](${target})`;
  });
  body = body.replace(/<li\b[^>]*>/gi, "\n- ").replace(/<\/t[dh]\s*>/gi, "\t");
  body = body.replace(BLOCK, "\n").replace(/<[^>]*>/g, "");
  const text = decodeEntities(body)
    .split("\n")
    .map((line) => line.replace(/[ \t\f\r\u00a0]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  return { title, text };
}
