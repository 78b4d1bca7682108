/**
 * A JSON parser that remembers where things are: the line of every property and array item, so
 * that an invalid value can be reported as `config.json:12`, and the line and column of a syntax
 * error. It accepts exactly what JSON.parse accepts (plus a leading byte order mark).
 *
 * @module
 */

/** A parsed document and the line of each value in it, keyed by {@link pathKey}. */
export interface PositionedJson {
  readonly value: unknown;
  readonly lines: ReadonlyMap<string, number>;
}

/** Where and why a text is not JSON. Line and column count from 1. */
export class JsonSyntaxError extends SyntaxError {
  override name = "JsonSyntaxError";
  constructor(readonly reason: string, readonly line: number, readonly column: number) {
    super(`${reason} at line ${line}, column ${column}`);
  }
}

/** The map key of a path of property names and array indices. */
export function pathKey(segments: readonly (string | number)[]): string {
  return JSON.stringify(segments.map(String));
}

const MAX_DEPTH = 64;
const STRING = /"(?:[^"\\]|\\.)*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERALS: readonly (readonly [string, unknown])[] = [["true", true], ["false", false], [
  "null",
  null,
]];

/** Parses JSON text; throws {@link JsonSyntaxError} with the position of the first problem. */
export function parseJson(text: string): PositionedJson {
  return new Parser(text.startsWith("\uFEFF") ? text.slice(1) : text).document();
}

class Parser {
  #text: string;
  #i = 0;
  #line = 1;
  #lineStart = 0;
  #lines = new Map<string, number>();

  constructor(text: string) {
    this.#text = text;
  }

  document(): PositionedJson {
    const value = this.#value([]);
    this.#space();
    if (this.#i < this.#text.length) this.#fail("unexpected text after the JSON value");
    return { value, lines: this.#lines };
  }

  #fail(reason: string): never {
    throw new JsonSyntaxError(reason, this.#line, this.#i - this.#lineStart + 1);
  }

  #space(): void {
    const text = this.#text;
    while (this.#i < text.length) {
      const c = text[this.#i];
      if (c === "\n") {
        this.#line++;
        this.#lineStart = this.#i + 1;
      } else if (c !== " " && c !== "\t" && c !== "\r") {
        return;
      }
      this.#i++;
    }
  }

  #value(path: readonly (string | number)[]): unknown {
    this.#space();
    if (path.length > MAX_DEPTH) this.#fail("nested too deeply");
    const c = this.#text[this.#i];
    if (c === "{") return this.#object(path);
    if (c === "[") return this.#array(path);
    if (c === '"') return this.#string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.#number();
    for (const [word, value] of LITERALS) {
      if (this.#text.startsWith(word, this.#i)) {
        this.#i += word.length;
        return value;
      }
    }
    return this.#fail(c === undefined ? "unexpected end of the file" : "expected a JSON value");
  }

  #object(path: readonly (string | number)[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.#i++;
    this.#space();
    if (this.#text[this.#i] === "}") {
      this.#i++;
      return out;
    }
    for (;;) {
      this.#space();
      if (this.#text[this.#i] !== '"') this.#fail("expected a property name in double quotes");
      const line = this.#line;
      const key = this.#string();
      this.#space();
      if (this.#text[this.#i] !== ":") this.#fail('expected ":" after the property name');
      this.#i++;
      const child = [...path, key];
      this.#lines.set(pathKey(child), line);
      // defineProperty, so that a key named __proto__ is data, as JSON.parse makes it.
      Object.defineProperty(out, key, {
        value: this.#value(child),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      if (this.#after("}")) return out;
    }
  }

  #array(path: readonly (string | number)[]): unknown[] {
    const out: unknown[] = [];
    this.#i++;
    this.#space();
    if (this.#text[this.#i] === "]") {
      this.#i++;
      return out;
    }
    for (;;) {
      this.#space();
      const child = [...path, out.length];
      this.#lines.set(pathKey(child), this.#line);
      out.push(this.#value(child));
      if (this.#after("]")) return out;
    }
  }

  /** After a member: true at the closing bracket, false after a comma. */
  #after(close: string): boolean {
    this.#space();
    const c = this.#text[this.#i];
    this.#i++;
    if (c === close) return true;
    if (c === ",") return false;
    this.#i--;
    return this.#fail(`expected "," or "${close}"`);
  }

  #string(): string {
    STRING.lastIndex = this.#i;
    const match = STRING.exec(this.#text);
    if (match) {
      try {
        const value = JSON.parse(match[0]) as string;
        this.#i += match[0].length;
        return value;
      } catch {
        // a control character or a bad escape: reported below, at the string's start
      }
    }
    return this.#fail("invalid or unterminated string");
  }

  #number(): number {
    NUMBER.lastIndex = this.#i;
    const match = NUMBER.exec(this.#text);
    if (!match) this.#fail("invalid number");
    this.#i += match[0].length;
    return Number(match[0]);
  }
}
