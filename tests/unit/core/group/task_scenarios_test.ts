/**
 * Claim, grant and lease over the in-process transport in fault mode (duplicates, delays,
 * reordering, redelivery), with real agent runtimes against the fake LLM. The same scenarios run
 * on the real broker in tests/integration/core/group.
 */
import { MemoryTransport } from "../../../../core/transport/mod.ts";
import {
  declinedMovesOn,
  eachTaskAnsweredOnce,
  lapsedLeaseMovesOn,
  rejectedWithReason,
  requesterResumes,
  subTaskInheritsLimits,
  twoClaimantsOneGrant,
} from "../../../_support/task_scenarios.ts";

const faults = { seed: 11, duplicate: 0.2, maxDelayMs: 10, redeliver: 0.1, reorder: true };

Deno.test("a task is answered by exactly one of three workers, never by its requester", async () => {
  await using transport = closing(new MemoryTransport({ faults }));
  await eachTaskAnsweredOnce(transport, "gone", 6);
});

Deno.test("100 concurrent tasks are each answered once, spread over the workers", async () => {
  await using transport = closing(new MemoryTransport({ faults }));
  await eachTaskAnsweredOnce(transport, "ghundred", 100);
});

Deno.test("two workers claiming one attempt: one grant, the other is revoked and stops", async () => {
  await using transport = closing(new MemoryTransport({ faults }));
  await twoClaimantsOneGrant(transport, "gtwo");
});

Deno.test("a lapsed lease sends attempt 2 to another worker; the side effect happens once", async () => {
  await using transport = closing(new MemoryTransport({ faults }));
  await lapsedLeaseMovesOn(transport, "glapse");
});

Deno.test("a declined task goes to another worker that offers the skill", async () => {
  await using transport = closing(new MemoryTransport({ faults }));
  await declinedMovesOn(transport, "gdecline");
});

Deno.test("depth, cycle, budget and deadline are rejected by the receiver, with the reason", async () => {
  await using transport = closing(new MemoryTransport({ faults }));
  await rejectedWithReason(transport, "greject");
});

Deno.test("a requester resumes its unfinished task after a restart and keeps its answer", async () => {
  await using transport = closing(new MemoryTransport({ faults }));
  await requesterResumes(transport, "gresume");
});

Deno.test("a sub-task from delegate_task inherits depth, chain, budget and deadline, shrunk", async () => {
  await using transport = closing(new MemoryTransport({ faults }));
  await subTaskInheritsLimits(transport, "gsub");
});

function closing(transport: MemoryTransport): MemoryTransport & AsyncDisposable {
  return Object.assign(transport, { [Symbol.asyncDispose]: () => transport.close() });
}
