/**
 * The checks below Kafka, per broker: DNS (the system's resolver, so /etc/hosts counts), a TCP
 * connect with its latency, and the TLS handshake with the certificate's subject and expiry.
 *
 * @module
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import tls from "node:tls";
import { type CheckContext, hostAndPort, reason, timed } from "./check.ts";

const DAY_MS = 86_400_000;

/** Certificates that expire within this many days are a WARN. */
export const EXPIRY_WARN_DAYS = 30;

/** Resolves the broker's host; true when it did. */
export async function checkDns(ctx: CheckContext, broker: string): Promise<boolean> {
  const { host } = hostAndPort(broker);
  ctx.starting(`DNS ${host}`);
  const base = { component: "DNS", target: host, layer: "L3-Network" } as const;
  if (isIP(host)) {
    ctx.add({ ...base, status: "OK", detail: `${host} is an IP address: nothing to resolve` });
    return true;
  }
  try {
    const { value, ms } = await timed(
      ctx,
      ctx.timeouts.kafkaMs,
      `resolving ${host}`,
      () => lookup(host, { all: true }),
    );
    const addresses = value.map((a) => a.address).join(", ");
    ctx.add({ ...base, status: "OK", detail: `${host} resolves to ${addresses}`, ms });
    return true;
  } catch (error) {
    ctx.add({
      ...base,
      status: "FAIL",
      detail: `${host} does not resolve: ${reason(error)}`,
      hint: "check the host name in bootstrap.servers (or --broker) and the DNS or /etc/hosts " +
        "of this machine",
    });
    return false;
  }
}

/** Opens a TCP connection to the broker and closes it; true when it connected. */
export async function checkTcp(ctx: CheckContext, broker: string): Promise<boolean> {
  const { host, port } = hostAndPort(broker);
  ctx.starting(`TCP ${broker}`);
  const base = { component: "TCP", target: broker, layer: "L4-TCP" } as const;
  try {
    const { value: conn, ms } = await timed(
      ctx,
      ctx.timeouts.kafkaMs,
      `connecting to ${broker}`,
      () => Deno.connect({ hostname: host, port }),
    );
    conn.close();
    ctx.add({ ...base, status: "OK", detail: `connected in ${ms} ms`, ms });
    return true;
  } catch (error) {
    const refused = error instanceof Deno.errors.ConnectionRefused;
    ctx.add({
      ...base,
      status: "FAIL",
      detail: refused ? `connection refused: nothing listens on ${broker}` : reason(error),
      hint: refused
        ? `check the port in bootstrap.servers, that the broker runs, and that its listeners ` +
          `include ${broker}`
        : "check routes and firewalls between this machine and the broker (--network-diag " +
          "traces the path)",
    });
    return false;
  }
}

/** What a TLS handshake showed. */
export interface TlsFacts {
  readonly subject: string;
  readonly issuer: string;
  readonly notAfter: Date;
  readonly protocol: string;
  readonly authorized: boolean;
  readonly authorizationError?: string;
}

/**
 * Node's TLS options for a broker: the settings' CA and client certificate, the host as SNI
 * (unless an IP). The peer is not rejected here: the TLS check judges and reports it.
 */
export function tlsOptions(
  ctx: Pick<CheckContext, "settings">,
  host: string,
  port: number,
): tls.ConnectionOptions {
  const pem = ctx.settings.tls;
  return {
    host,
    port,
    ...(isIP(host) ? {} : { servername: host }),
    ...(pem?.ca ? { ca: pem.ca } : {}),
    ...(pem?.cert ? { cert: pem.cert } : {}),
    ...(pem?.key ? { key: pem.key } : {}),
    rejectUnauthorized: false,
  };
}

/** Runs a TLS handshake with the settings' CA and client certificate, verifying the peer. */
export function tlsHandshake(
  ctx: CheckContext,
  host: string,
  port: number,
): Promise<TlsFacts> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(tlsOptions(ctx, host, port), () => {
      const cert = socket.getPeerCertificate();
      const name = (o: Record<string, unknown> | undefined) =>
        Object.entries(o ?? {}).map(([k, v]) => `${k}=${v}`).join(", ");
      const facts: TlsFacts = {
        subject: name(cert?.subject as unknown as Record<string, unknown>),
        issuer: name(cert?.issuer as unknown as Record<string, unknown>),
        notAfter: new Date(cert?.valid_to ?? 0),
        protocol: socket.getProtocol?.() ?? "TLS",
        authorized: socket.authorized,
        ...(socket.authorizationError
          ? { authorizationError: String(socket.authorizationError) }
          : {}),
      };
      socket.end();
      resolve(facts);
    });
    socket.on("error", reject);
  });
}

/** The TLS check of one broker, or a SKIP when the listener is not TLS. */
export async function checkTls(ctx: CheckContext, broker: string): Promise<boolean> {
  const base = { component: "TLS", target: broker, layer: "L5-6-TLS" } as const;
  const protocol = ctx.settings.securityProtocol;
  if (protocol !== "SSL" && protocol !== "SASL_SSL") {
    ctx.add({ ...base, status: "SKIP", detail: `security.protocol ${protocol}: no TLS` });
    return true;
  }
  ctx.starting(`TLS ${broker}`);
  const { host, port } = hostAndPort(broker);
  let facts: TlsFacts;
  let ms: number;
  try {
    ({ value: facts, ms } = await timed(
      ctx,
      ctx.timeouts.kafkaMs,
      `the TLS handshake with ${broker}`,
      () => tlsHandshake(ctx, host, port),
    ));
  } catch (error) {
    ctx.add({
      ...base,
      status: "FAIL",
      detail: `TLS handshake failed: ${reason(error)}`,
      hint: "check that this listener speaks TLS (security.protocol SSL or SASL_SSL) and, for " +
        "mutual TLS, ssl.certificate.location and ssl.key.location",
    });
    return false;
  }
  const days = Math.floor((facts.notAfter.getTime() - Date.now()) / DAY_MS);
  const what = `${facts.protocol}, subject ${facts.subject || "(none)"}, issuer ` +
    `${facts.issuer || "(none)"}, expires ${facts.notAfter.toISOString()} (${days} days)`;
  if (!facts.authorized) {
    ctx.add({
      ...base,
      status: "FAIL",
      detail: `certificate not trusted (${facts.authorizationError}): ${what}`,
      hint: "give the CA that signed the broker's certificate in ssl.ca.location (PEM), and " +
        "connect by a name the certificate lists",
      ms,
    });
    return false;
  }
  if (days < EXPIRY_WARN_DAYS) {
    ctx.add({
      ...base,
      status: "WARN",
      detail: `certificate expires in ${days} days: ${what}`,
      hint: "renew the broker's certificate before it expires",
      ms,
    });
    return true;
  }
  ctx.add({ ...base, status: "OK", detail: what, ms });
  return true;
}
