/**
 * Tools: the registry the agent loop calls, the built-in tools, web_fetch, the audio tools, the
 * group tools, the memory tools, what reading `mcp.json` needs (the MCP client is ./mcp/mod.ts), and
 * the sandbox they run in.
 *
 * @example
 * ```ts ignore
 * import { builtinTools, ToolRegistry } from "./mod.ts";
 * const registry = new ToolRegistry({ maxResultBytes: 131072 })
 *   .register(...builtinTools({ sandbox, exec: config.tools.exec, web: config.tools.web }));
 * const result = await registry.run("read_file", '{"path":"notes.md"}', ctx);
 * ```
 *
 * @module
 */
export type { Tier, Tool, ToolContext, ToolOutput, ToolResult } from "./types.ts";
export {
  type ArgsSchema,
  declaredToolArgs,
  defineTool,
  parametersOf,
  schemaOf,
  TOOL_NAME,
  ToolArgs,
  toolArgs,
  toolError,
  toolOk,
  type ToolParameters,
  type ToolSpec,
} from "./define.ts";
export {
  DEFAULT_MAX_RESULT_BYTES,
  describeIssues,
  ToolRegistry,
  type ToolRegistryOptions,
} from "./registry.ts";
export type {
  DelegateRequest,
  DelegateResult,
  DelegateTarget,
  GroupMemberSummary,
  GroupPort,
  MemorySharer,
  MessageSink,
  MessageTarget,
  ShareRequest,
  SpawnRequest,
  SubagentAnswer,
  SubagentSpawner,
} from "./ports.ts";
export {
  delegateTaskTool,
  groupMembersTool,
  MAX_DELEGATE_WAIT_SECONDS,
  shareMemoryTool,
} from "./group_tools.ts";
export {
  DEFAULT_MAX_READ_BYTES,
  editFileTool,
  fsTools,
  type FsToolsOptions,
  listDirTool,
  readFileTool,
  writeFileTool,
} from "./fs_tools.ts";
export {
  AUDIO_MIME_TYPES,
  audioMimeType,
  audioTools,
  type AudioToolsOptions,
  DEFAULT_MAX_AUDIO_BYTES,
  speakTool,
  SPEECH_FORMATS,
  type SpeechFormat,
  type SpeechPort,
  transcribeAudioTool,
} from "./audio_tools.ts";
export {
  MAX_RECALL,
  type MemoryScope,
  memoryTools,
  type MemoryToolsOptions,
  recallTool,
  rememberTool,
} from "./memory_tools.ts";
export { execOffMessage, execTool, type ExecToolOptions, formatExecResult } from "./exec_tool.ts";
export { MAX_SPAWN_TIMEOUT_SECONDS, messageTool, sessionsSpawnTool } from "./agent_tools.ts";
export { builtinTools, type BuiltinToolsOptions } from "./builtin.ts";
export * from "./web/mod.ts";
// What reading mcp.json needs; the MCP client itself loads through loadMcpClient().
export * from "./mcp/mod.ts";
export {
  type DirEntry,
  type ExecOptions,
  type ExecResult,
  MAX_BINARY_BYTES,
  type Sandbox,
  SandboxError,
  type SandboxErrorCode,
  type WorkspaceFs,
} from "./sandbox/mod.ts";
