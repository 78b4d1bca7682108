/** A ToolContext for tests, recording approval requests. */
import type { ApprovalRequest, ToolContext } from "../../../../core/tools/types.ts";

/** A test context; `approvals` records what was asked. */
export interface TestContext extends ToolContext {
  readonly approvals: ApprovalRequest[];
}

/** Makes a context whose approve() answers `answer`. */
export function testContext(
  options: { answer?: boolean; signal?: AbortSignal; sessionKey?: string } = {},
): TestContext {
  const approvals: ApprovalRequest[] = [];
  return {
    sessionKey: options.sessionKey ?? "local:test",
    workspace: "/fake/workspace",
    signal: options.signal ?? new AbortController().signal,
    approvals,
    approve(request) {
      approvals.push(request);
      return Promise.resolve(options.answer ?? false);
    },
  };
}
