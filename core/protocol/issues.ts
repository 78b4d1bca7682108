/**
 * Turns a zod issue into the protocol's error code and a sentence in the house style.
 *
 * @module
 */

import type { z } from "zod";
import { type ParseErrorCode, type PathSegment, subject } from "./errors.ts";

/** A schema failure, ready for {@link protocolError}. */
export interface IssueDescription {
  readonly code: ParseErrorCode;
  readonly path: readonly PathSegment[];
  readonly detail: string;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "a boolean",
  array: "an array",
  object: "an object",
};

type Issue = z.core.$ZodIssue;

/**
 * Describes the first issue of a failed parse. Paths are prefixed with `base` (where the parsed
 * value sits in the envelope). Parses must run with `reportInput: true`, which tells a missing
 * field (no input) from a wrong type.
 */
export function describeIssue(issue: Issue, base: readonly PathSegment[] = []): IssueDescription {
  const path = [...base, ...issue.path.map(toSegment)];
  const name = subject(path);
  // Zod reports an absent enum or literal as a wrong value, an absent field as a wrong type.
  if (
    (issue.code === "invalid_type" || issue.code === "invalid_value") && issue.input === undefined
  ) {
    return { code: "missing_field", path, detail: `${name} is missing` };
  }
  switch (issue.code) {
    case "invalid_union": {
      // A branch that failed deeper inside says more; one that failed on the value itself takes
      // the union's own message (e.g. "must be a string or an LFS pointer").
      const best = closestIssue(issue.errors);
      const described = describeIssue(best, path);
      return best.path.length > 0
        ? described
        : { ...described, detail: `${name} ${issue.message}` };
    }
    case "invalid_type": {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      return { code: "wrong_type", path, detail: `${name} must be ${expected}` };
    }
    case "invalid_value": {
      const values = issue.values.map((value) => JSON.stringify(value)).join(", ");
      const detail = issue.values.length === 1 ? `must be ${values}` : `must be one of ${values}`;
      return { code: "invalid_value", path, detail: `${name} ${detail}` };
    }
    case "too_small":
    case "too_big":
      return { code: "invalid_value", path, detail: `${name} ${bound(issue)}` };
    case "invalid_key":
      return {
        code: "invalid_value",
        path,
        detail: `key ${name} ${(issue.issues[0] as Issue).message}`,
      };
    case "custom": {
      const code = (issue.params?.code ?? "invalid_value") as ParseErrorCode;
      return { code, path, detail: `${name} ${issue.message}` };
    }
    default:
      return { code: "invalid_value", path, detail: `${name} ${issue.message}` };
  }
}

function toSegment(step: PropertyKey): PathSegment {
  return typeof step === "number" ? step : String(step);
}

/** The first issue of the branch of a failed union that got furthest: the one with the longest path. */
function closestIssue(branches: readonly (readonly Issue[])[]): Issue {
  const firsts = branches.map((issues) => issues[0] as Issue);
  return firsts.reduce((best, issue) => issue.path.length > best.path.length ? issue : best);
}

function bound(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  if (issue.code === "too_big") return `must be at most ${issue.maximum}`;
  return issue.origin === "string" && Number(issue.minimum) === 1
    ? "must not be empty"
    : `must be at least ${issue.minimum}`;
}
