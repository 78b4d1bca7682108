/**
 * The configuration schema: every key, its type, default and rules. The environment variable
 * names, `kafclaw config env`, validation and the {@link Config} type all derive from it.
 *
 * @module
 */
import {
  type ConfigSection,
  flag,
  integer,
  list,
  number,
  oneOf,
  optionalInteger,
  optionalText,
  secret,
  type SectionOutput,
  structured,
  text,
} from "./_leaf.ts";
import { DEFAULT_WORKSPACE } from "./paths.ts";

/** The LLM providers KafClaw knows, each reached through its OpenAI-compatible API. */
export const PROVIDERS = [
  "openai",
  "openrouter",
  "anthropic",
  "ollama",
  "vllm",
  "lmstudio",
  "groq",
  "deepseek",
  "xai",
  "gemini",
] as const;

/** One of {@link PROVIDERS}. */
export type Provider = typeof PROVIDERS[number];

const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:.]*|[A-Za-z0-9.-]+)$/;
const BROKER = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;
/** A name of sensitivity levels and the like. */
export const NAME = /^[A-Za-z0-9._-]{1,128}$/;
/** A skill name, as PROTOCOL.md allows ids (they become topic and consumer group names). */
export const SKILL = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** What {@link SKILL} allows, in words. */
export const AGENT_ID_RULE = "1-64 of a-z, 0-9, '_' and '-', starting with a letter or digit";

/** True for an http: or https: URL. */
export function isHttpUrl(value: string): boolean {
  return URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
}

/** True for `provider/model` where provider is one of {@link PROVIDERS}. */
export function isModelRef(value: string): boolean {
  const slash = value.indexOf("/");
  return slash > 0 && slash < value.length - 1 &&
    (PROVIDERS as readonly string[]).includes(value.slice(0, slash));
}

/** True for an IANA time zone the runtime knows. */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** What {@link isModelRef} allows, in words. */
export const MODEL_REF = `provider/model, where provider is one of ${PROVIDERS.join(", ")}`;
const URL_RULE = { check: isHttpUrl, expected: "an http:// or https:// URL" } as const;
const FILE = { path: true, expected: "a file path" } as const;
/** {@link NAME} as a rule of a text key. */
export const NAME_RULE = {
  check: (v: string) => NAME.test(v),
  expected: "1-128 letters, digits, '.', '_' or '-'",
} as const;

function provider(apiBase: string, name: string) {
  return {
    apiKey: secret({ description: `API key for ${name}` }),
    apiBase: text({
      default: apiBase,
      description: `OpenAI-compatible endpoint of ${name}`,
      ...URL_RULE,
    }),
  };
}

function chatChannel(name: string, apiBase: string) {
  return {
    enabled: flag({ default: false, description: `Run the ${name} channel` }),
    token: secret({ description: `${name} bot token` }),
    allowFrom: list({
      default: [],
      description: `${name} sender ids allowed to talk to the agent`,
    }),
    apiBase: text({ default: apiBase, description: `${name} API endpoint`, ...URL_RULE }),
    dmPolicy: oneOf({
      values: DM_POLICIES,
      default: "pairing",
      description: `Who may talk to the agent on ${name} besides the owner: allowFrom only ` +
        "(allowlist), allowFrom and senders the owner paired (pairing), anyone (open), nobody " +
        "(disabled)",
    }),
  };
}

/** `channels.whatsapp`: the WhatsApp Cloud API, a chat channel whose token is an access token. */
function whatsappChannel() {
  const { token: _bot, ...common } = chatChannel("WhatsApp", "https://graph.facebook.com");
  return {
    ...common,
    accessToken: secret({ description: "WhatsApp Cloud API access token (a system user's)" }),
    apiVersion: text({
      default: "v21.0",
      description: "Graph API version in the WhatsApp API's paths",
      check: (v) => /^v\d+\.\d+$/.test(v),
      expected: "a version such as v21.0",
    }),
    phoneNumberId: optionalText({ description: "WhatsApp Cloud API phone number id" }),
    verifyToken: secret({ description: "WhatsApp webhook verify token (the subscription check)" }),
    appSecret: secret({
      description: "WhatsApp app secret (checks X-Hub-Signature-256 of every webhook call)",
    }),
    webhookHost: text({
      default: "127.0.0.1",
      description: "Address the WhatsApp webhook listener binds (put a TLS proxy in front)",
    }),
    webhookPort: integer({
      default: 8444,
      min: 0,
      max: 65535,
      description: "Port the WhatsApp webhook listener binds (0: any free port)",
    }),
  };
}

/** Who may talk to the agent on a chat channel, besides the owners (`policy.owners`). */
export const DM_POLICIES = ["allowlist", "pairing", "open", "disabled"] as const;

/** One of {@link DM_POLICIES}. */
export type DmPolicy = typeof DM_POLICIES[number];

/** The whole configuration schema; {@link Config} is what it produces. */
export const CONFIG_SCHEMA = {
  gateway: {
    host: text({
      default: "127.0.0.1",
      description: "Address the gateway listens on; a non-loopback address means headless mode",
      check: (v) => HOST.test(v),
      expected: "a host name or IP address",
    }),
    port: integer({
      default: 18790,
      min: 0,
      max: 65535,
      description: "Port of the HTTP API (0: any free port)",
    }),
    dashboardPort: integer({
      default: 18791,
      min: 0,
      max: 65535,
      description: "Port of the dashboard (0: any free port)",
    }),
    authToken: secret({ description: "Bearer token of the API and dashboard (required headless)" }),
    tlsCert: optionalText({ description: "TLS certificate (PEM) of the gateway", ...FILE }),
    tlsKey: optionalText({ description: "TLS private key (PEM) of the gateway", ...FILE }),
  },
  group: {
    enabled: flag({ default: false, description: "Join a group of agents over Kafka" }),
    name: text({
      default: "kafclaw",
      description: "Group name; part of every topic name",
      ...NAME_RULE,
    }),
    kafkaBrokers: list({
      default: [],
      description: "Kafka bootstrap servers",
      item: "a host:port address",
      items: "host:port addresses",
      check: (v) => BROKER.test(v),
    }),
    agentId: optionalText({
      description: "This agent's id in the group (default: generated)",
      ...NAME_RULE,
    }),
    skills: list({
      default: [],
      description: "Skills this agent offers the group (kafclaw group skills add)",
      item: "a skill name (a-z, 0-9, _ and -, at most 64)",
      items: "skill names (a-z, 0-9, _ and -, at most 64)",
      check: (v) => SKILL.test(v),
    }),
    security: oneOf({
      values: ["signed", "open"],
      default: "signed",
      description: "signed: envelopes carry verified signatures; open: unsigned (trusted networks)",
    }),
    onboardMode: oneOf({
      values: ["open", "gated"],
      default: "open",
      description: "open: agents join freely; gated: the owner approves each new member",
    }),
    maxDelegationDepth: integer({
      default: 3,
      min: 0,
      max: 16,
      description: "How many times a task may be delegated onward",
    }),
    heartbeatIntervalMs: integer({
      default: 10000,
      min: 1000,
      max: 600000,
      description: "Interval of presence heartbeats",
    }),
    leaseMs: optionalInteger({
      min: 1000,
      max: 3600000,
      description: "Silence after which a worker's lease on a task this agent sent lapses and " +
        "the task goes to another worker (default: 30 s + 3 heartbeat intervals)",
    }),
    clockSkewMs: integer({
      default: 120000,
      min: 0,
      max: 3600000,
      description: "Tolerated clock difference when checking envelope timestamps",
    }),
    traceContent: flag({
      default: false,
      description: "Put the content of task spans (secrets redacted) on the traces topic",
    }),
    kafkaSecurityProtocol: oneOf({
      values: ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"],
      default: "PLAINTEXT",
      description: "How to reach the brokers",
    }),
    kafkaSaslMechanism: oneOf({
      values: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"],
      default: "PLAIN",
      description: "SASL mechanism (SASL_* protocols)",
    }),
    kafkaSaslUsername: optionalText({ description: "SASL user name" }),
    kafkaSaslPassword: secret({ description: "SASL password" }),
    kafkaTlsCaFile: optionalText({ description: "CA certificate (PEM) of the brokers", ...FILE }),
    kafkaTlsCertFile: optionalText({
      description: "Client certificate (PEM) for mutual TLS",
      ...FILE,
    }),
    kafkaTlsKeyFile: optionalText({
      description: "Client private key (PEM) for mutual TLS",
      ...FILE,
    }),
    ownerPublicKey: optionalText({ description: "Public key of the owner, who signs approvals" }),
    invite: secret({
      description: "One-time invite to a gated group, used when this agent has no certificate yet",
    }),
    inviteFile: optionalText({
      description: "File holding that invite (instead of group.invite)",
      ...FILE,
    }),
    aclPrincipals: structured({
      schema: (s) => s.aclPrincipals(),
      default: {},
      description:
        'Kafka principal of each agent for kafclaw group acl: {"alice": "User:alice"} (default User:<agent id>)',
      expected: "a JSON object of principals",
      typeText: "JSON object",
    }),
    partitions: integer({
      default: 12,
      min: 1,
      max: 10000,
      description: "Partitions of the group's topics when KafClaw creates them",
    }),
    replicationFactor: optionalInteger({
      min: 1,
      max: 32,
      description: "Replication factor of created topics (default: the broker's)",
    }),
    maxMessageBytes: integer({
      default: 1048576,
      min: 1024,
      max: 104857600,
      description: "Largest envelope produced or accepted",
    }),
    memoryQuotaItems: integer({
      default: 100,
      min: 1,
      max: 1000000,
      description:
        "Shared memory items one author may share per quota window (receivers refuse more)",
    }),
    memoryQuotaBytes: integer({
      default: 8388608,
      min: 1024,
      max: 1073741824,
      description:
        "Shared memory bytes one author may share per quota window (receivers refuse more)",
    }),
    memoryQuotaWindowMs: integer({
      default: 3600000,
      min: 1000,
      max: 604800000,
      description: "The window of the shared memory quotas",
    }),
    memoryPartBytes: integer({
      default: 65536,
      // core/group MIN_PART_BYTES: receivers count parts as if this small.
      min: 1024,
      max: 131072,
      description: "Most content bytes in one part of a shared memory item (each part is a record)",
    }),
    memoryItemBytes: integer({
      default: 1048576,
      min: 1024,
      max: 16777216,
      description: "Most content bytes of one shared memory item (receivers refuse more)",
    }),
  },
  orchestrator: {
    enabled: flag({ default: false, description: "Take part in the orchestrator hierarchy" }),
    role: oneOf({
      values: ["orchestrator", "worker", "observer"],
      default: "worker",
      description: "Role in the hierarchy",
    }),
    zoneId: optionalText({ description: "Zone this agent belongs to", ...NAME_RULE }),
    parentId: optionalText({ description: "Agent id of the parent orchestrator", ...NAME_RULE }),
    endpoint: optionalText({ description: "URL other agents reach this one at", ...URL_RULE }),
  },
  model: {
    name: text({
      default: "openai/gpt-4o-mini",
      description: "Model of the agent loop",
      check: isModelRef,
      expected: MODEL_REF,
    }),
    fallbacks: list({
      default: [],
      description: "Models tried in order when the main one fails",
      item: "a provider/model name",
      items: "provider/model names",
      check: isModelRef,
    }),
    maxTokens: integer({ default: 8192, min: 1, max: 1000000, description: "Reply token limit" }),
    temperature: number({ default: 0.7, min: 0, max: 2, description: "Sampling temperature" }),
    maxToolIterations: integer({
      default: 20,
      min: 1,
      max: 200,
      description: "Tool calls allowed in one turn",
    }),
    firstTokenTimeoutMs: integer({
      default: 120000,
      min: 100,
      max: 3600000,
      description:
        "An attempt with no answer by then (no response; streamed, no first token) is retried",
    }),
    stallTimeoutMs: integer({
      default: 60000,
      min: 100,
      max: 3600000,
      description: "A streamed answer that stops this long between two chunks is given up",
    }),
    timeoutMs: integer({
      default: 600000,
      min: 100,
      max: 86400000,
      description: "Longest one attempt may take, from the request to the answer's last token",
    }),
    attempts: integer({
      default: 3,
      min: 1,
      max: 10,
      description: "Tries of one model (timeouts, 429, 5xx) before the next model or an error",
    }),
  },
  providers: {
    openai: provider("https://api.openai.com/v1", "OpenAI"),
    openrouter: provider("https://openrouter.ai/api/v1", "OpenRouter"),
    anthropic: provider("https://api.anthropic.com/v1", "Anthropic"),
    ollama: provider("http://127.0.0.1:11434/v1", "Ollama"),
    vllm: provider("http://127.0.0.1:8000/v1", "vLLM"),
    lmstudio: provider("http://127.0.0.1:1234/v1", "LM Studio"),
    groq: provider("https://api.groq.com/openai/v1", "Groq"),
    deepseek: provider("https://api.deepseek.com/v1", "DeepSeek"),
    xai: provider("https://api.x.ai/v1", "xAI"),
    gemini: provider("https://generativelanguage.googleapis.com/v1beta/openai", "Gemini"),
  },
  channels: {
    telegram: {
      ...chatChannel("Telegram", "https://api.telegram.org"),
      mode: oneOf({
        values: ["polling", "webhook"],
        default: "polling",
        description: "How updates arrive: long polling (getUpdates) or a webhook Telegram calls",
      }),
      webhookUrl: optionalText({
        description: "Public https:// URL Telegram posts updates to (webhook mode)",
        ...URL_RULE,
      }),
      webhookSecret: secret({
        description: "Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (webhook mode)",
      }),
      webhookHost: text({
        default: "127.0.0.1",
        description: "Address the webhook listener binds (put a TLS proxy in front)",
      }),
      webhookPort: integer({
        default: 8443,
        min: 0,
        max: 65535,
        description: "Port the webhook listener binds (0: any free port)",
      }),
    },
    discord: chatChannel("Discord", "https://discord.com/api/v10"),
    whatsapp: whatsappChannel(),
  },
  agents: {
    list: structured({
      schema: (s) => s.agentList(),
      default: [],
      description:
        "Named agents, each with its own model: [{id, name, default, model: {primary, fallbacks}, " +
        "workspace, skills, policy: {maxAutoTier, externalMaxTier}}]; the gateway runs them all " +
        "in one in-process group",
      expected: "a JSON list of agents",
      typeText: "JSON list",
    }),
  },
  agent: {
    name: text({ default: "KafClaw", description: "The agent's name in prompts and soul files" }),
    historyMessages: integer({
      default: 50,
      min: 2,
      max: 1000,
      description: "Session messages sent with each turn",
    }),
    compactAboveChars: integer({
      default: 60000,
      min: 1000,
      max: 10000000,
      description: "History longer than this is summarised (the session file keeps every line)",
    }),
  },
  tools: {
    subagents: {
      maxSpawnDepth: integer({
        default: 1,
        min: 0,
        max: 5,
        description: "How deep subagents may spawn subagents (0: no subagents)",
      }),
      maxChildren: integer({
        default: 5,
        min: 1,
        max: 100,
        description: "Subagents one session may start",
      }),
      maxConcurrent: integer({
        default: 8,
        min: 1,
        max: 100,
        description: "Subagents running at once",
      }),
      timeoutMs: integer({
        default: 300000,
        min: 1000,
        max: 86400000,
        description: "Time limit of one subagent run",
      }),
    },
    sandbox: {
      handOver: oneOf({
        values: ["ask", "yes", "no"],
        default: "ask",
        description: "As root, whether the workspace's files may be given to the sandbox's uid " +
          "(ask: kafclaw agent asks once per workspace; other runs need the recorded yes)",
      }),
    },
    exec: {
      timeoutMs: integer({
        default: 60000,
        min: 1000,
        max: 3600000,
        description: "Time limit of one command",
      }),
      maxOutputBytes: integer({
        default: 65536,
        min: 1024,
        max: 16777216,
        description: "Output kept from one command",
      }),
      unsandboxed: flag({
        default: false,
        description: "Allow exec without bubblewrap (every call then needs approval)",
      }),
      memoryBytes: integer({
        default: 4294967296,
        min: 67108864,
        max: 1099511627776,
        description: "Memory one command may hold, all its processes together " +
          "(each process may map this divided by tools.exec.processes)",
      }),
      processes: integer({
        default: 16,
        min: 8,
        max: 4096,
        description: "Processes and threads one command may have at once",
      }),
    },
    web: {
      enabled: flag({ default: true, description: "Offer the web_fetch tool" }),
      timeoutMs: integer({
        default: 30000,
        min: 1000,
        max: 300000,
        description: "Fetch time limit",
      }),
      maxBytes: integer({
        default: 2097152,
        min: 1024,
        max: 104857600,
        description: "Largest response read",
      }),
      maxRedirects: integer({ default: 5, min: 0, max: 20, description: "Redirects followed" }),
    },
  },
  memory: {
    embedding: {
      enabled: flag({ default: true, description: "Embed memories for semantic search" }),
      model: text({
        default: "openai/text-embedding-3-small",
        description: "Embedding model",
        check: isModelRef,
        expected: MODEL_REF,
      }),
      dimension: integer({
        default: 1536,
        min: 1,
        max: 8192,
        description: "Not used: memory takes the size of the vectors from the model's first answer",
      }),
    },
    search: {
      maxResults: integer({ default: 8, min: 1, max: 100, description: "Memories recalled" }),
      minScore: number({ default: 0.22, min: 0, max: 1, description: "Lowest relevance recalled" }),
    },
    maxChunks: integer({
      default: 50000,
      min: 100,
      max: 10000000,
      description: "Most memory chunks kept (the oldest non-permanent go first)",
    }),
  },
  scheduler: {
    enabled: flag({ default: false, description: "Run scheduled jobs" }),
    tickIntervalMs: integer({
      default: 60000,
      min: 1000,
      max: 3600000,
      description: "How often due jobs are checked",
    }),
    timezone: optionalText({
      description: "IANA time zone of cron expressions (default: the system's)",
      check: isTimeZone,
      expected: "an IANA time zone such as Europe/Berlin",
    }),
    maxConcurrentLlm: integer({ default: 3, min: 1, max: 64, description: "Concurrent LLM jobs" }),
    maxConcurrentShell: integer({
      default: 1,
      min: 1,
      max: 64,
      description: "Concurrent shell jobs",
    }),
    maxConcurrentDefault: integer({
      default: 5,
      min: 1,
      max: 64,
      description: "Concurrent other jobs",
    }),
    jobs: structured({
      schema: (s) => s.jobList(),
      default: [],
      description: "Jobs defined in config: [{name, schedule, message, timezone, enabled}]",
      expected: "a JSON list of jobs",
      typeText: "JSON list",
    }),
    catchUp: flag({
      default: true,
      description:
        "A job time missed while no scheduler ran runs once at start (false: it is skipped)",
    }),
  },
  policy: {
    maxAutoTier: integer({
      default: 1,
      min: 0,
      max: 2,
      description: "Highest tool tier the owner's messages use without approval",
    }),
    externalMaxTier: integer({
      default: 0,
      min: 0,
      max: 2,
      description: "Highest tool tier for external messages",
    }),
    owners: list({
      default: [],
      description: "The owner's identities as channel:sender (approvals go there)",
    }),
    allowedSenders: list({
      default: [],
      description: "channel:sender identities allowed to talk to the agent (empty: any)",
    }),
    approvalTimeoutMs: integer({
      default: 300000,
      min: 1000,
      max: 86400000,
      description: "How long an approval request waits before it is denied",
    }),
    dailyTokenLimit: integer({
      default: 0,
      min: 0,
      max: 1000000000000,
      description: "Tokens a day per agent (0: unlimited)",
    }),
    requestsPerMinute: integer({
      default: 20,
      min: 0,
      max: 100000,
      description: "Requests a minute per sender and channel (0: unlimited)",
    }),
    dailyTokenLimitPerSender: integer({
      default: 0,
      min: 0,
      max: 1000000000000,
      description: "Tokens a day per sender (0: unlimited)",
    }),
    dailyBudgetUsd: number({
      default: 0,
      min: 0,
      max: 1000000,
      description: "LLM spending a day in USD; calls stop when it is spent (0: unlimited)",
    }),
    monthlyBudgetUsd: number({
      default: 0,
      min: 0,
      max: 10000000,
      description: "LLM spending a month in USD; calls stop when it is spent (0: unlimited)",
    }),
    prices: structured({
      schema: (s) => s.priceTable(),
      default: {},
      description:
        'USD per 1000 tokens by model: {"openai/gpt-4o": {promptPer1k, completionPer1k}}, "ollama/*"',
      expected: "a JSON object of prices",
      typeText: "JSON object",
    }),
    sensitivity: structured({
      schema: (s) => s.sensitivityRules(),
      default: [],
      description: "Content sensitivity levels: [{name, patterns, keywords, routeTo}], first wins",
      expected: "a JSON list of sensitivity rules",
      typeText: "JSON list",
    }),
    workspaceFilesUntrusted: flag({
      default: true,
      description: "Reading workspace files taints the turn (tools then need approval)",
    }),
  },
  paths: {
    workspace: text({
      default: DEFAULT_WORKSPACE,
      defaultText: "$KAFCLAW_HOME/workspace",
      description: "The agent's workspace, the only place tools write",
      ...FILE,
      expected: "a directory path",
    }),
  },
} satisfies ConfigSection;

/** The configuration with every key filled in: what {@link CONFIG_SCHEMA} produces. */
export type Config = SectionOutput<typeof CONFIG_SCHEMA>;
