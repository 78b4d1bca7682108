import { type Prompter, typedChoice } from "../../cli/_prompt.ts";

/** A prompter that answers from a list and records the questions; it fails when answers run out. */
export function scriptedPrompter(answers: readonly string[]): Prompter & { questions: string[] } {
  const queue = [...answers];
  const questions: string[] = [];
  const next = (question: string, fallback?: string) => {
    questions.push(question);
    if (queue.length === 0) throw new Error(`No scripted answer left for "${question}"`);
    const answer = queue.shift()!;
    return Promise.resolve(answer || fallback);
  };
  return {
    questions,
    ask: next,
    askSecret: (q) => next(q),
    confirm: async (q) => /^(y|yes)$/i.test((await next(q)) ?? ""),
    choose: async (q, choices, fallback) => {
      const answer = await next(q, fallback);
      return answer === undefined ? undefined : typedChoice(answer, choices);
    },
  };
}

/** A prompter for commands that must not ask anything. */
export const noPrompter = (): Prompter => {
  throw new Error("this command asked a question");
};
