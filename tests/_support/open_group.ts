/**
 * The group most gateway tests begin with: an open group on the test broker, made in the home of
 * its first member, whose members run as `kafclaw gateway` processes (gateway_group.ts), started
 * together; the first member's own roster shows them all active before it returns.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { FakeTurnSource } from "../fakes/openai_server.ts";
import { kafclaw } from "./cli.ts";
import { gateway, rosterOf, tails } from "./gateway_group.ts";
import { uniqueName, waitFor } from "./wait.ts";

/** What every member of an open group adds to its environment. */
export const OPEN = { KAFCLAW_GROUP_SECURITY: "open" } as const;

/** A member: its id, what its environment adds, and its fake LLM's answers. */
export type MemberSpec = readonly [
  id: string,
  more?: Record<string, string>,
  chat?: FakeTurnSource[],
];

/** One gateway process of the group (gateway_group.ts). */
export type Member = Awaited<ReturnType<typeof gateway>>;

/** Gateway processes of one new open group; disposing `stack` stops them and removes their homes. */
export async function openGroup<const S extends readonly MemberSpec[]>(
  prefix: string,
  stack: AsyncDisposableStack,
  specs: S,
): Promise<{ group: string; members: { [K in keyof S]: Member } }> {
  const group = uniqueName(prefix).replaceAll("-", "");
  const members: Member[] = [];
  for (const [id, more = {}, chat = []] of specs) {
    members.push(stack.use(await gateway(group, id, { ...OPEN, ...more }, chat)));
  }
  const made = await kafclaw(["group", "init", "--json"], members[0]!.env);
  assert.equal(made.code, 0, made.stderr);
  await Promise.all(members.map((m) => m.start()));
  const want = members.map((m) => `${m.id}:active`).sort().join();
  let roster: string[] = [];
  await waitFor(
    async () => (roster = await rosterOf(members[0]!.env)).sort().join() === want,
    `${members[0]!.id}'s gateway to see every member active`,
    { timeoutMs: 60_000, intervalMs: 200, state: () => ({ roster, ...tails(members) }) },
  );
  return { group, members: members as { [K in keyof S]: Member } };
}
