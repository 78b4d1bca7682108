import assert from "node:assert/strict";
import { ConfigError } from "../../../../core/config/mod.ts";
import { ContentClassifier } from "../../../../core/policy/mod.ts";

const classifier = new ContentClassifier([
  { name: "secret", keywords: ["top secret"] },
  {
    name: "private",
    patterns: ["\\b\\d{3}-\\d{2}-\\d{4}\\b"],
    keywords: ["diagnosis", "c++", ""],
    routeTo: "ollama/llama3",
  },
  { name: "finance", keywords: ["iban"], routeTo: "openai/gpt-4o-mini" },
  { name: "private", keywords: ["salary"] },
]);

Deno.test("content matching a rule's pattern or keyword has its level and route", () => {
  assert.deepEqual(classifier.classify("SSN 123-45-6789"), {
    levels: ["private"],
    routeTo: "ollama/llama3",
  });
  assert.deepEqual(classifier.classify("My DIAGNOSIS came back"), {
    levels: ["private"],
    routeTo: "ollama/llama3",
  });
  assert.deepEqual(classifier.classify("It is written in C++."), {
    levels: ["private"],
    routeTo: "ollama/llama3",
  });
});

Deno.test("several levels are listed in rule order and the first route wins", () => {
  assert.deepEqual(classifier.classify("top secret: my IBAN and diagnosis"), {
    levels: ["secret", "private", "finance"],
    routeTo: "ollama/llama3",
  });
  assert.deepEqual(classifier.classify("iban and salary"), {
    levels: ["finance", "private"],
    routeTo: "openai/gpt-4o-mini",
  });
  assert.deepEqual(classifier.classify("top secret"), { levels: ["secret"] });
});

Deno.test("keywords match whole words only and ordinary text has no level", () => {
  assert.deepEqual(classifier.classify("the prognosis of diagnosisX and libans"), { levels: [] });
  assert.deepEqual(classifier.classify(""), { levels: [] });
  assert.deepEqual(new ContentClassifier([]).classify("diagnosis"), { levels: [] });
  const patternsOnly = new ContentClassifier([{ name: "card", patterns: ["\\b4\\d{15}\\b"] }]);
  assert.deepEqual(patternsOnly.classify("card 4111111111111111"), { levels: ["card"] });
});

Deno.test("an invalid pattern is a config error naming the rule and the pattern", () => {
  assert.throws(
    () =>
      new ContentClassifier([{ name: "ok", keywords: ["x"] }, { name: "pii", patterns: ["(a"] }]),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(
        error.message,
        /^Invalid config: policy\.sensitivity\[1\] \("pii"\): pattern "\(a" is not a regular expression: /,
      );
      return true;
    },
  );
  assert.throws(
    () => new ContentClassifier([{ name: "" }]),
    /Invalid config: policy\.sensitivity\[0\]: the rule has no name$/,
  );
});
