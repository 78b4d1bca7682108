/**
 * Several agents in one gateway: {@link Swarm.start} runs every agent of `agents.list`, each a
 * {@link Gateway} of its own (runtime, membership, task paths, shared memory) with its own config
 * (core/config agent_scope.ts: id, model, home, workspace, skills, policy), all members of one group on one
 * in-process transport. They find each other on the roster and delegate with `delegate_task`
 * through the same protocol code (core/group) as over Kafka: the embedded default for a small
 * swarm on one machine. A transport given by the caller is shared the same way, whatever the mode.
 *
 * Over Kafka without a given transport, the gateway runs its own agent only (each agent of the list
 * then runs in a gateway of its own, with its own home), and says so. With an empty list, the
 * swarm is the one gateway of the config, as before.
 *
 * @module
 */
import {
  agentScope,
  type Mode,
  type ResolvedConfig,
  resolveMode,
  type SwarmAgent,
  swarmAgents,
  swarmProblem,
} from "../config/mod.ts";
import { GroupSetupError, memberTopicSpecs, type SkillChange } from "../group/mod.ts";
import { MemoryTransport, type Transport } from "../transport/mod.ts";
import { Gateway, type GatewayOptions, overKafka, STOP_TIMEOUT_MS } from "./gateway.ts";

/** One agent of a running swarm, as the status shows it. */
export interface SwarmMemberState {
  readonly agentId: string;
  readonly name: string;
  readonly model: string;
  /** Whether it is the lead agent, which keeps the gateway's KAFCLAW_HOME. */
  readonly lead: boolean;
  readonly home: string;
  readonly workspace: string;
  readonly skills: readonly string[];
  readonly running: number;
  readonly capacity: number;
}

/** The gateways of a swarm, the lead first; see the module documentation. */
export class Swarm {
  /** The lead agent's gateway: the one the front door, the CLI and the home's files speak for. */
  readonly lead: Gateway;
  /** Every agent's gateway, the lead first. */
  readonly gateways: readonly Gateway[];
  readonly #configs: ReadonlyMap<Gateway, ResolvedConfig>;
  readonly #owned: Transport | undefined;
  /** Whether the agents run as agents.list scopes them (else one gateway runs the config). */
  readonly #scoped: boolean;
  #stopped: Promise<string[]> | undefined;

  private constructor(
    members: readonly (readonly [Gateway, ResolvedConfig])[],
    owned: Transport | undefined,
    scoped: boolean,
  ) {
    this.gateways = members.map(([gateway]) => gateway);
    this.lead = this.gateways[0]!;
    this.#configs = new Map(members);
    this.#owned = owned;
    this.#scoped = scoped;
  }

  /**
   * Starts the agents of `config`, the lead first; on a failure, those started are stopped again
   * and the error thrown. `options.say` is told when the list cannot run in this process.
   */
  static async start(config: ResolvedConfig, options: GatewayOptions): Promise<Swarm> {
    const agents = swarmAgents(config);
    const decided = resolveMode(config, options.mode);
    if (!decided.ok) throw new GroupSetupError(decided.error);
    const kafka = overKafka(config, decided.mode);
    if (agents.length === 0 || (kafka && options.transport === undefined)) {
      if (agents.length > 1) options.say?.(kafkaNote(decided.mode, config.group.agentId, agents));
      return new Swarm([[await Gateway.start(config, options), config]], undefined, false);
    }
    const clash = swarmProblem(config);
    if (clash !== undefined) throw new GroupSetupError(clash);
    const owned = options.transport === undefined ? await inProcess(config) : undefined;
    const transport = options.transport ?? owned!;
    const started: [Gateway, ResolvedConfig][] = [];
    try {
      for (const agent of agents) {
        await Deno.mkdir(agent.config.home, { recursive: true, mode: 0o700 });
        const gateway = await Gateway.start(agent.config, { ...options, transport });
        started.push([gateway, agent.config]);
      }
    } catch (error) {
      await stopAll(started.map(([g]) => g), STOP_TIMEOUT_MS);
      await owned?.close();
      throw error;
    }
    return new Swarm(started, owned, true);
  }

  /**
   * Offers from now on the skills that `config` (config.json read again) gives each agent: its
   * entry's `skills` for an agent of agents.list the swarm runs, else `group.skills`. What changed
   * is named `<agent>:<skill>` when several agents run.
   */
  async offerSkills(config: ResolvedConfig): Promise<SkillChange> {
    const changes = await Promise.all(this.gateways.map((g) => {
      // An agent no longer in the list keeps what it offers until the gateway restarts.
      const skills = this.#scoped
        ? agentScope(config, g.agentId)?.group.skills ?? g.tasks.skills.offered()
        : config.group.skills;
      return g.offerSkills(skills);
    }));
    if (changes.length === 1) return changes[0]!;
    const named = (g: Gateway, skills: readonly string[]) => skills.map((s) => `${g.agentId}:${s}`);
    return {
      added: changes.flatMap((c, i) => named(this.gateways[i]!, c.added)),
      removed: changes.flatMap((c, i) => named(this.gateways[i]!, c.removed)),
    };
  }

  /** Each agent as the status shows it, the lead first. */
  members(): SwarmMemberState[] {
    return this.gateways.map((gateway) => {
      const config = this.#configs.get(gateway)!;
      const load = gateway.tasks.load();
      return {
        agentId: gateway.agentId,
        name: config.agent.name,
        model: config.model.name,
        lead: gateway === this.lead,
        home: config.home,
        workspace: config.paths.workspace,
        skills: gateway.tasks.skills.offered(),
        running: load.running,
        capacity: load.capacity,
      };
    });
  }

  /**
   * Stops every agent at once within `timeoutMs`, then the transport the swarm made; resolves
   * with the steps that did not end in time, as `<agent>: <step>` when there are several agents.
   * Stopping twice waits for the first stop.
   */
  stop(timeoutMs = STOP_TIMEOUT_MS): Promise<string[]> {
    return this.#stopped ??= (async () => {
      const late = await stopAll(this.gateways, timeoutMs);
      await this.#owned?.close();
      return late;
    })();
  }
}

/** Stops `gateways` at once; their late steps, named by agent when there are several. */
async function stopAll(gateways: readonly Gateway[], timeoutMs: number): Promise<string[]> {
  const late = await Promise.all(gateways.map((g) => g.stop(timeoutMs)));
  if (gateways.length === 1) return late[0]!;
  return late.flatMap((steps, i) => steps.map((step) => `${gateways[i]!.agentId}: ${step}`));
}

/** The in-process broker of a swarm, with the group's topics made. */
async function inProcess(config: ResolvedConfig): Promise<Transport> {
  const transport = new MemoryTransport();
  await transport.createTopics(memberTopicSpecs(config.group.name));
  return transport;
}

/** What a gateway over Kafka says of the agents of agents.list it does not run. */
function kafkaNote(mode: Mode, own: string | undefined, agents: readonly SwarmAgent[]): string {
  const others = agents.filter((a) => a.id !== own).map((a) => a.id);
  return `agents.list: a gateway in ${mode} mode runs one agent (group.agentId); ` +
    `${others.join(", ")} each run in a gateway of their own, with their own home ` +
    "(several agents share one process when the group is in it, in standalone mode)";
}
