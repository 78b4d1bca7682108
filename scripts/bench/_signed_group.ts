/**
 * A signed group for the delegation bench, made as `kafclaw group init` and `group admit` make
 * one: an owner key in an owner's home of its own, the group's topics and manifest, and for each
 * agent a home with its key and a certificate the owner issued, published on the roster topic. An
 * agent started with its {@link SignedMember} signs what it sends and verifies what it receives
 * (tests/_support/task_group.ts).
 */
import { join } from "node:path";
import { admit, agentKey, certificateRecord, initGroup, ownerKey } from "../../core/group/mod.ts";
import type { Transport } from "../../core/transport/mod.ts";
import type { SignedMember } from "../../tests/_support/task_group.ts";

/** An agent's home, with its certified key, and what it joins the signed group with. */
export interface AdmittedAgent {
  readonly home: string;
  readonly signed: SignedMember;
}

/** Makes signed group `group`; `admitAgent` gives an agent its home, key and certificate. */
export async function makeSignedGroup(
  transport: Transport,
  group: string,
): Promise<{ admitAgent(agentId: string): Promise<AdmittedAgent> }> {
  const ownerHome = await Deno.makeTempDir({ prefix: "kafclaw-bench-owner-" });
  const identityDir = join(ownerHome, "identity");
  const init = await initGroup({
    group,
    agentId: "owner-agent",
    identityDir,
    transport,
    security: "signed",
    onboardMode: "gated",
    heartbeatIntervalMs: 10_000,
  });
  const owner = (await ownerKey(identityDir))!;
  return {
    async admitAgent(agentId) {
      const home = await Deno.makeTempDir({ prefix: `kafclaw-bench-${agentId}-` });
      const key = await agentKey(join(home, "identity"));
      const certificate = await admit(owner.privateKey, {
        agentId,
        publicKey: key.publicKeyText,
      });
      await transport.produce([
        await certificateRecord(group, owner.privateKey, agentId, certificate),
      ]);
      return { home, signed: { certificate, ownerPublicKey: init.ownerPublicKey } };
    },
  };
}
