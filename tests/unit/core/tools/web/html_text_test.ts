import assert from "node:assert/strict";
import { decodeEntities, htmlToText } from "../../../../../core/tools/web/html_text.ts";

Deno.test("htmlToText drops scripts, styles, comments and tags and keeps the words", () => {
  const html = `<!doctype html><html><head><title>The &amp; Title</title>
    <style>body { color: red }</style><script>alert("x")</script></head>
    <body><!-- hidden --><h1>Heading</h1><p>First   paragraph
    with <b>bold</b> text.</p><noscript>enable js</noscript>
    <script type="module">import "evil";</script><div>Second</div></body></html>`;
  assert.deepEqual(htmlToText(html), {
    title: "The & Title",
    text: "Heading\n\nFirst paragraph\nwith bold text.\n\nSecond",
  });
});

Deno.test("htmlToText writes links as [text](absolute url)", () => {
  const html = `<p>See <a href="/docs?a=1&amp;b=2">the docs</a>, <a href='https://x.org'>X</a>,
    <a href="#top">top</a>, <a href="javascript:alert(1)">js</a> and <a>bare</a>.</p>`;
  assert.equal(
    htmlToText(html, "https://example.com/start").text,
    "See [the docs](https://example.com/docs?a=1&b=2), [X](https://x.org/),\ntop, js and bare.",
  );
});

Deno.test("htmlToText turns lists and table cells into lines", () => {
  const html = "<ul><li>one</li><li>two</li></ul><table><tr><td>a</td><td>b</td></tr></table>";
  assert.equal(htmlToText(html).text, "- one\n- two\n\na b");
});

Deno.test("htmlToText of a page without a title gives an empty title", () => {
  assert.deepEqual(htmlToText("just text"), { title: "", text: "just text" });
});

Deno.test("decodeEntities decodes named, decimal and hex references", () => {
  assert.equal(
    decodeEntities("&lt;a&gt; &quot;x&quot; &#39;y&#39; &#x1F600; &nbsp;&hellip;"),
    "<a> \"x\" 'y' 😀  …",
  );
  assert.equal(decodeEntities("&unknown; &#0; &#xD800;"), "&unknown; \uFFFD \uFFFD");
});
