/**
 * The listener a channel takes its platform's webhook calls on (Telegram's, WhatsApp's): started
 * on `host:port`, ready when it listens, and one line when it cannot (the port in use, an address
 * the machine does not have, a place this process may not listen), naming the address and never
 * Deno's own text. A handler's failure is a 500 and one line to `onError` (the channel's status),
 * never a stack on the gateway's stderr.
 *
 * @module
 */

/** Where and how a webhook listener serves. */
export interface WebhookListenerOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  readonly handler: (request: Request) => Response | Promise<Response>;
  /** Told each failure of the handler. */
  readonly onError: (error: unknown) => void;
}

/** Starts the listener; rejects with one line when it cannot listen. */
export async function serveWebhook(
  options: WebhookListenerOptions,
): Promise<Deno.HttpServer<Deno.NetAddr>> {
  const { host, port } = options;
  const ready = Promise.withResolvers<void>();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: host,
      port,
      onListen: () => ready.resolve(),
      onError: (error) => {
        options.onError(error);
        return new Response("Internal Server Error", { status: 500 });
      },
    }, options.handler);
  } catch (error) {
    throw new Error(`cannot listen on ${host}:${port} for the webhook: ${listenError(error)}`);
  }
  await ready.promise;
  return server;
}

/** Why the listener could not start, in a few words (never Deno's permission text). */
function listenError(error: unknown): string {
  if (error instanceof Deno.errors.AddrInUse) return "the port is in use";
  if (error instanceof Deno.errors.AddrNotAvailable) return "no such address on this machine";
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return "this process may not listen there";
  }
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]!;
}
