/**
 * The dashboard's view kit: Preact's `h` bound to htm, so components are written as tagged
 * templates with no build step of their own, and the hooks the pages use.
 *
 * @module
 */
import { h } from "preact";
import htm from "htm";

export { render } from "preact";
export { useCallback, useEffect, useRef, useState } from "preact/hooks";

/** `html\`<div>${x}</div>\`` builds Preact elements. */
export const html = htm.bind(h);
