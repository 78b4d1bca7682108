/**
 * The foreign agents of tests/interop, run against the real broker: a group with its topics, an
 * owner key made here, certificates issued with core/protocol, the agents as child processes, and
 * a Deno requester that sends requests and reads every record the group's streams carry.
 */
import { certificateRecord, revocationRecord } from "../../../core/group/mod.ts";
import {
  agentConsumerGroup,
  agentInbox,
  type CertificateBundle,
  encodeBase64Url,
  exportPublicKey,
  issueCertificate,
  keyPairFromSeed,
  type Signer,
  signRecord,
  topicsFor,
  topicSpecs,
} from "../../../core/protocol/mod.ts";
import { type InboundRecord, loadKafka } from "../../../core/transport/mod.ts";
import { testBrokers } from "../../_support/broker.ts";
import { Child } from "../../_support/child.ts";
import { uniqueName } from "../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const ROOT = new URL("../../../", import.meta.url).pathname;
const INTEROP = `${ROOT}tests/interop/`;

/** The venv's Python and the Go agent's binary, as tests/interop/setup.sh makes them. */
export async function foreignRuntimes(): Promise<{ python: string; goAgent: string }> {
  const out = await new Deno.Command(`${INTEROP}setup.sh`, { stdout: "piped", stderr: "piped" })
    .output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  if (!out.success) throw new Error(`tests/interop/setup.sh failed: ${text(out.stderr)}`);
  const [python, goAgent] = text(out.stdout).trim().split("\n");
  return { python: python!, goAgent: goAgent! };
}

/**
 * What the published JSON Schema refuses in each of `values` (envelopes as sent), checked by an
 * independent validator (Python's jsonschema, formats included): a list a value, empty if valid.
 */
export async function schemaProblems(
  python: string,
  values: readonly string[],
): Promise<string[][]> {
  const child = new Deno.Command(python, {
    args: [`${INTEROP}python/validate.py`, `${ROOT}core/protocol/kafclaw-1.schema.json`],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(values.map((v) => v + "\n").join("")));
  await writer.close();
  const out = await child.output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  if (!out.success) throw new Error(`validate.py failed: ${text(out.stderr)}`);
  return text(out.stdout).trim().split("\n").map((line) => JSON.parse(line));
}

/** How a test request is sent: a broken signature, or no certificate in its headers. */
export interface SendOptions {
  readonly tamper?: boolean;
  readonly withholdCertificate?: boolean;
}

/** A member's keys and certificate, as files a foreign agent reads. */
export interface Member {
  readonly id: string;
  readonly signer: Signer & { readonly certificate: CertificateBundle };
  readonly seedFile: string;
  readonly certFile: string;
}

/** A group on the real broker with its topics and an owner key, and a Deno requester in it. */
export class Group implements AsyncDisposable {
  readonly name = uniqueName("interop");
  readonly topics = topicsFor(this.name);
  readonly brokers = testBrokers();
  readonly transport = new KafkaTransport({ brokers: this.brokers, clientId: "kafclaw-interop" });
  /** Every record read from the announce, heartbeat, request, status and response topics. */
  readonly seen: InboundRecord[] = [];
  readonly children: Child[] = [];
  readonly dir = Deno.makeTempDirSync({ prefix: "kafclaw-interop-" });
  ownerKey!: CryptoKeyPair;
  ownerPublic!: string;
  #closers: (() => Promise<void>)[] = [];

  /**
   * Creates the topics (with the inboxes of `agents`) and starts reading the streams. With
   * `ownerKeyStart`, the owner's public key (base64url) begins with it: `-`, say (1 key in 64).
   */
  async start(agents: readonly string[], options: { ownerKeyStart?: string } = {}): Promise<this> {
    do {
      this.ownerKey = await crypto.subtle.generateKey("Ed25519", true, [
        "sign",
        "verify",
      ]) as CryptoKeyPair;
      this.ownerPublic = await exportPublicKey(this.ownerKey.publicKey);
    } while (!this.ownerPublic.startsWith(options.ownerKeyStart ?? ""));
    await this.transport.createTopics(topicSpecs(this.name, { agents: [...agents] }));
    const { announce, heartbeats, requests, tasksStatus, responses } = this.topics;
    const sub = await this.transport.subscribe({
      kind: "stream",
      topics: [announce, heartbeats, requests, tasksStatus, responses],
      groupId: agentConsumerGroup(this.name, "deno-observer"),
      fromBeginning: true,
      handler: (record) => void this.seen.push(record),
    });
    this.#closers.push(() => sub.close());
    return this;
  }

  /** A member whose certificate the owner issued; `notAfter` defaults to a day from now. */
  async admit(id: string, options: { notAfter?: string } = {}): Promise<Member> {
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const keys = await keyPairFromSeed(seed);
    const certificate = await issueCertificate({
      agent_id: id,
      public_key: await exportPublicKey(keys.publicKey),
      zones: ["public"],
      vouched: false,
      issuer: false,
      not_after: options.notAfter ?? new Date(Date.now() + 86_400_000).toISOString(),
      issuer_id: "owner",
    }, this.ownerKey.privateKey);
    const seedFile = `${this.dir}/${id}.seed`;
    const certFile = `${this.dir}/${id}.cert.json`;
    await Deno.writeFile(seedFile, seed, { mode: 0o600 });
    await Deno.writeTextFile(certFile, JSON.stringify(certificate), { mode: 0o600 });
    return {
      id,
      seedFile,
      certFile,
      signer: { keyId: id, privateKey: keys.privateKey, certificate },
    };
  }

  /** Starts a foreign agent (`argv` up to its own flags); `member` makes it run signed. */
  spawn(argv: readonly string[], id: string, member?: Member): Child {
    const args = [...argv.slice(1), "--brokers", this.brokers.join(","), "--group", this.name];
    args.push("--id", id);
    if (member !== undefined) {
      args.push("--seed-file", member.seedFile, "--cert-file", member.certFile);
      // One word: a key that begins with `-` is not taken for an option.
      args.push(`--owner-key=${this.ownerPublic}`);
    }
    const child = new Child(
      new Deno.Command(argv[0]!, { args, stdout: "piped", stderr: "piped", stdin: "null" }),
    );
    this.children.push(child);
    return child;
  }

  /** Publishes a member's certificate on the roster, as `kafclaw group admit` does. */
  async publishCertificate(member: Member): Promise<void> {
    const { privateKey } = this.ownerKey;
    const { certificate } = member.signer;
    await this.transport.produce([
      await certificateRecord(this.name, privateKey, member.id, certificate),
    ]);
  }

  /** Revokes a member's certificate on the roster. */
  async revoke(member: Member): Promise<void> {
    const record = await revocationRecord(this.name, this.ownerKey.privateKey, member.id, "test");
    await this.transport.produce([record]);
  }

  /**
   * Sends a request as `from` (signed when it is a member, else open), keyed by its task id;
   * `withholdCertificate` leaves `kc-cert` off, as a sender does once it thinks receivers hold it.
   */
  async request(
    from: Member | string,
    taskId: string,
    extra: Record<string, unknown> = {},
    options: SendOptions = {},
  ): Promise<void> {
    const sender = typeof from === "string" ? from : from.id;
    const payload = {
      task_id: taskId,
      attempt: 1,
      description: "interop",
      content: `content of ${taskId}`,
      requester_id: sender,
      arbiter: "none",
      ...extra,
    };
    await this.#send(from, [this.topics.requests], "request", payload, options);
  }

  /** The requester's answer to a claim, `assigned` or `revoked`, to the inbox and status stream. */
  async grant(from: Member, taskId: string, worker: string, status: "assigned" | "revoked") {
    const payload = { task_id: taskId, attempt: 1, worker_id: worker, status, seq: ++this.#seq };
    const topics = [agentInbox(this.name, worker), this.topics.tasksStatus];
    await this.#send(from, topics, "task_status", payload);
  }

  #seq = 0;

  async #send(
    from: Member | string,
    topics: readonly string[],
    type: string,
    payload: Record<string, unknown> & { task_id: string },
    options: SendOptions = {},
  ): Promise<void> {
    const value = JSON.stringify({
      type,
      correlation_id: payload.task_id,
      sender_id: typeof from === "string" ? from : from.id,
      timestamp: new Date().toISOString(),
      protocol: "kafclaw/1",
      payload,
    });
    for (const topic of topics) {
      const record = { topic, key: payload.task_id, value };
      if (typeof from === "string") {
        await this.transport.produce([record]);
        continue;
      }
      const attachCertificate = options.withholdCertificate !== true;
      const headers = await signRecord(record, from.signer, { attachCertificate });
      if (options.tamper === true) headers["kc-sig"] = encodeBase64Url(new Uint8Array(64).fill(7));
      await this.transport.produce([{ ...record, headers }]);
    }
  }

  /** The records seen on one topic, with their keys as text and their values parsed as JSON. */
  on(topic: string): { record: InboundRecord; key: string; json: Record<string, unknown> }[] {
    return this.seen.filter((r) => r.topic === topic).map((record) => ({
      record,
      key: typeof record.key === "string" ? record.key : "",
      json: JSON.parse(new TextDecoder().decode(record.value)),
    }));
  }

  async [Symbol.asyncDispose]() {
    for (const child of this.children) await child[Symbol.asyncDispose]();
    for (const close of this.#closers) await close();
    await this.transport.close();
    await Deno.remove(this.dir, { recursive: true });
  }
}
