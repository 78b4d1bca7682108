/**
 * Approvals through the API: a call the policy asks about waits, shows up pending, and the
 * owner's approve (with the gateway's token) runs the tool; deny does not; an answer without the
 * token, or a second answer, changes nothing. The policy's decisions are listed, newest first.
 */
import assert from "node:assert/strict";
import { apiOf, assertSnakeCase, type TestApi } from "../../../_support/api.ts";
import { waitFor } from "../../../_support/wait.ts";

/** A gateway whose owner must approve every write, and a model that writes proof.txt. */
function writer() {
  return apiOf({ KAFCLAW_POLICY_MAX_AUTO_TIER: "0" }, {
    chat: [
      {
        toolCalls: [{
          id: "w1",
          name: "write_file",
          arguments: { path: "proof.txt", content: "ok\n" },
        }],
      },
    ],
    answer: { text: "Finished." },
  });
}

async function pending(api: TestApi) {
  let items: { approval_id: string; tool: string }[] = [];
  await waitFor(async () => {
    items = (await api.json("/api/v1/approvals")).items;
    return items.length > 0;
  }, "a pending approval");
  return items[0]!;
}

const proof = (api: TestApi) => `${api.home}/workspace/proof.txt`;

Deno.test("approving from the API runs the tool the turn waits on", async () => {
  await using api = await writer();
  const chat = api.json("/api/v1/chat", { body: { message: "write the proof" } });
  const approval = await pending(api);
  assert.equal(approval.tool, "write_file");
  const whole = await api.json(`/api/v1/approvals/${approval.approval_id}`);
  assert.deepEqual(whole.arguments, { path: "proof.txt", content: "ok\n" });
  assert.equal(whole.status, "pending");
  assert.ok(Date.parse(whole.expires_at) > Date.now(), whole.expires_at);
  assertSnakeCase(whole, "an approval");
  // Without the token nothing is answered: the agent holds no token.
  const forged = await api.call(`/api/v1/approvals/${approval.approval_id}/approve`, {
    method: "POST",
    headers: { authorization: undefined },
  });
  assert.equal(forged.status, 401);
  assert.equal((await api.json("/api/v1/approvals")).items.length, 1);
  const answered = await api.json(`/api/v1/approvals/${approval.approval_id}/approve`, {
    method: "POST",
  });
  assert.equal(answered.status, "approved");
  assert.equal(answered.responder, "api");
  assert.equal((await chat).content, "Finished.");
  assert.equal(await Deno.readTextFile(proof(api)), "ok\n");
  const again = await api.json(
    `/api/v1/approvals/${approval.approval_id}/deny`,
    { method: "POST" },
    409,
  );
  assert.equal(again.error.code, "approval_answered");
  const decisions = await api.json("/api/v1/policy/decisions?limit=5");
  assert.equal(decisions.items[0].tool, "write_file");
  assert.equal(decisions.items[0].requires_approval, true);
  assertSnakeCase(decisions, "the decisions");
});

Deno.test("denying from the API leaves the tool unrun", async () => {
  await using api = await writer();
  const chat = api.json("/api/v1/chat", { body: { message: "write the proof" } });
  const approval = await pending(api);
  const answered = await api.json(`/api/v1/approvals/${approval.approval_id}/deny`, {
    method: "POST",
  });
  assert.equal(answered.status, "denied");
  await chat;
  await assert.rejects(Deno.stat(proof(api)), Deno.errors.NotFound);
});

Deno.test("an unknown or malformed approval id is a 404 or a 400", async () => {
  await using api = await apiOf();
  const unknown = await api.json("/api/v1/approvals/nope/approve", { method: "POST" }, 404);
  assert.equal(unknown.error.message, "No approval request nope");
  await api.json("/api/v1/approvals/nope", {}, 404);
  const bad = await api.json(`/api/v1/approvals/${"x".repeat(65)}`, {}, 400);
  assert.match(bad.error.message, /path parameter "id"/);
  const page = await api.json("/api/v1/policy/decisions?limit=0", {}, 400);
  assert.match(page.error.message, /query parameter "limit"/);
});

Deno.test("the owner's approve words in a chat through the API answer a pending approval", async () => {
  await using api = await writer();
  const chat = api.json("/api/v1/chat", { body: { message: "write the proof" } });
  const approval = await pending(api);
  const said = await api.json("/api/v1/chat", {
    body: { message: `approve ${approval.approval_id}`, session: "answers" },
  });
  assert.equal(said.kind, "approval");
  assert.equal((await chat).content, "Finished.");
  assert.equal(await Deno.readTextFile(proof(api)), "ok\n");
  // The words never reached the model: only the writing turn's two calls did.
  assert.equal(api.llm.chatRequests().length, 2);
});
