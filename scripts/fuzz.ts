/**
 * `deno task test-fuzz [--seconds N] [--seed N] [--target NAME]`: time-bounded, seedable fuzzing of
 * the parsers and guards. Each target gets an equal share of the time, in rounds of a few hundred
 * inputs. A failure prints the target and the seed of the failing round, so
 * `deno task test-fuzz --seed N --target NAME` replays it.
 */
import { seededRandom } from "../core/transport/mod.ts";
import { fuzzConfig } from "../tests/fuzz/config_fuzz.ts";
import { fuzzPolicy } from "../tests/fuzz/policy_fuzz.ts";
import { fuzzProtocol } from "../tests/fuzz/protocol_fuzz.ts";
import { fuzzRunTag } from "../tests/fuzz/run_tag_fuzz.ts";
import { fuzzWhatsApp } from "../tests/fuzz/whatsapp_fuzz.ts";

Deno.env.delete("RUST_BACKTRACE");

const TARGETS: Record<string, (rng: () => number, iterations: number) => unknown> = {
  protocol: fuzzProtocol,
  config: fuzzConfig,
  policy: fuzzPolicy,
  whatsapp: fuzzWhatsApp,
  runTag: fuzzRunTag,
};

function arg(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : Deno.env.get(`KAFCLAW_FUZZ_${name.toUpperCase()}`);
}

const seconds = Number(arg("seconds") ?? 8);
const fixedSeed = arg("seed");
const only = arg("target");
const names = only ? [only] : Object.keys(TARGETS);
if (names.some((n) => !TARGETS[n])) {
  console.error(`test-fuzz: unknown target; choose from ${Object.keys(TARGETS).join(", ")}`);
  Deno.exit(2);
}
let seed = fixedSeed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(fixedSeed);
for (const name of names) {
  const deadline = Date.now() + (seconds * 1000) / names.length;
  let rounds = 0;
  do {
    const roundSeed = seed++;
    try {
      await TARGETS[name]!(seededRandom(roundSeed), 200);
    } catch (error) {
      console.error(`test-fuzz: target ${name} failed with seed ${roundSeed}:`);
      console.error(error instanceof Error ? error.message : error);
      console.error(`replay: deno task test-fuzz --seed ${roundSeed} --target ${name} --seconds 0`);
      Deno.exit(1);
    }
    rounds++;
  } while (Date.now() < deadline && fixedSeed === undefined);
  console.log(`test-fuzz: ${name}: ${rounds * 200} inputs, no failure`);
}
