/**
 * Content classification: configured sensitivity levels, each a set of regular expressions and
 * keywords, tell how sensitive a text is and which model may see it (private data to a local
 * model, say). Rules are compiled once; a pattern that does not compile is a {@link ConfigError}
 * naming the rule.
 *
 * @module
 */
import { ConfigError } from "../config/mod.ts";
import type { SensitivityRule } from "./settings.ts";

/** The levels a text has, in rule order, and where to send it. */
export interface Sensitivity {
  readonly levels: readonly string[];
  /** The `routeTo` of the first matching rule that has one. */
  readonly routeTo?: string;
}

interface CompiledRule {
  readonly name: string;
  readonly tests: readonly RegExp[];
  readonly routeTo?: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function compilePattern(rule: SensitivityRule, index: number, pattern: string): RegExp {
  try {
    return new RegExp(pattern, "u");
  } catch (error) {
    throw new ConfigError(
      `Invalid config: policy.sensitivity[${index}] (${JSON.stringify(rule.name)}): pattern ` +
        `${JSON.stringify(pattern)} is not a regular expression: ${(error as Error).message}`,
    );
  }
}

/** A keyword matches as a whole word (no letter, digit or `_` around it), in any case. */
function compileKeyword(keyword: string): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(keyword)}(?![\\p{L}\\p{N}_])`, "iu");
}

function compileRule(rule: SensitivityRule, index: number): CompiledRule {
  if (typeof rule.name !== "string" || rule.name === "") {
    throw new ConfigError(`Invalid config: policy.sensitivity[${index}]: the rule has no name`);
  }
  const tests = [
    ...(rule.patterns ?? []).map((p) => compilePattern(rule, index, p)),
    ...(rule.keywords ?? []).filter((k) => k !== "").map(compileKeyword),
  ];
  return { name: rule.name, tests, ...(rule.routeTo ? { routeTo: rule.routeTo } : {}) };
}

/**
 * Classifies text by the configured sensitivity rules.
 *
 * @example
 * ```ts
 * import { ContentClassifier } from "./sensitivity.ts";
 * const classifier = new ContentClassifier([
 *   { name: "private", keywords: ["diagnosis"], patterns: ["\\b\\d{3}-\\d{2}-\\d{4}\\b"], routeTo: "ollama/llama3" },
 * ]);
 * classifier.classify("My diagnosis came back"); // { levels: ["private"], routeTo: "ollama/llama3" }
 * ```
 */
export class ContentClassifier {
  readonly #rules: readonly CompiledRule[];

  /** @throws {ConfigError} when a rule has no name or a pattern does not compile. */
  constructor(rules: readonly SensitivityRule[]) {
    this.#rules = rules.map(compileRule);
  }

  /** The levels whose rules match `text`, in rule order. */
  classify(text: string): Sensitivity {
    const levels: string[] = [];
    let routeTo: string | undefined;
    for (const rule of this.#rules) {
      if (!rule.tests.some((test) => test.test(text))) continue;
      if (!levels.includes(rule.name)) levels.push(rule.name);
      routeTo ??= rule.routeTo;
    }
    return routeTo === undefined ? { levels } : { levels, routeTo };
  }
}
