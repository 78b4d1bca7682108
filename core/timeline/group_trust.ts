/**
 * What trust in a group keeps: the certificates seen on the roster, cached by agent apart from
 * liveness (a revocation replaces a certificate), and the owner's one-time invites for gated
 * onboarding, each used at most once (PROTOCOL.md, Membership and trust).
 *
 * @module
 */
import type { Db, Row } from "./_db.ts";
import { date, optDate, optText, text } from "./_row.ts";

/** A cached certificate, or the revocation that replaced it. */
export type StoredCertificate =
  | {
    readonly agentId: string;
    readonly revoked: false;
    readonly cert: string;
    readonly certSig: string;
  }
  | { readonly agentId: string; readonly revoked: true; readonly reason: string };

/** An invite as the owner made it. */
export interface StoredInvite {
  readonly id: string;
  readonly group: string;
  readonly secret: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly usedAt: Date | undefined;
  readonly usedBy: string | undefined;
}

/** The `certificates` repository of a Timeline. */
export class CertificateStore {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /** Caches a certificate or a revocation for its agent, replacing what was there. */
  put(entry: StoredCertificate): void {
    this.#db.run(
      `INSERT INTO group_certificates (agent_id, cert, cert_sig, revoked, reason, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6)
        ON CONFLICT (agent_id) DO UPDATE SET cert = ?2, cert_sig = ?3, revoked = ?4, reason = ?5,
          updated_at = ?6`,
      entry.agentId,
      entry.revoked ? null : entry.cert,
      entry.revoked ? null : entry.certSig,
      entry.revoked,
      entry.revoked ? entry.reason : null,
      this.#db.now(),
    );
  }

  /** Every cached certificate and revocation. */
  list(): StoredCertificate[] {
    return this.#db.all("SELECT * FROM group_certificates ORDER BY agent_id").map(
      (row): StoredCertificate =>
        row.revoked
          ? { agentId: text(row, "agent_id"), revoked: true, reason: text(row, "reason") }
          : {
            agentId: text(row, "agent_id"),
            revoked: false,
            cert: text(row, "cert"),
            certSig: text(row, "cert_sig"),
          },
    );
  }
}

/** The `invites` repository of a Timeline. */
export class InviteStore {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /** Records a new invite. */
  add(invite: Pick<StoredInvite, "id" | "group" | "secret" | "expiresAt">): void {
    this.#db.run(
      `INSERT INTO group_invites (id, group_name, secret, created_at, expires_at)
        VALUES (?, ?, ?, ?, ?)`,
      invite.id,
      invite.group,
      invite.secret,
      this.#db.now(),
      invite.expiresAt,
    );
  }

  /** The invites of a group that are neither used nor expired at `now`. */
  usable(group: string, now: Date): StoredInvite[] {
    return this.#db.all(
      `SELECT * FROM group_invites WHERE group_name = ? AND used_at IS NULL AND expires_at > ?
        ORDER BY created_at`,
      group,
      now,
    ).map(inviteOf);
  }

  /**
   * Marks an invite used by `agentId`. Returns false when it was used already: one statement, so
   * two sponsors sharing this database cannot both accept it.
   */
  use(id: string, agentId: string): boolean {
    return this.#db.run(
      "UPDATE group_invites SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL",
      this.#db.now(),
      agentId,
      id,
    ) === 1;
  }

  /** Every invite of a group, newest first. */
  list(group: string): StoredInvite[] {
    return this.#db.all(
      "SELECT * FROM group_invites WHERE group_name = ? ORDER BY created_at DESC, id",
      group,
    ).map(inviteOf);
  }
}

function inviteOf(row: Row): StoredInvite {
  return {
    id: text(row, "id"),
    group: text(row, "group_name"),
    secret: text(row, "secret"),
    createdAt: date(row, "created_at"),
    expiresAt: date(row, "expires_at"),
    usedAt: optDate(row, "used_at"),
    usedBy: optText(row, "used_by"),
  };
}
