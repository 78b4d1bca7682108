/**
 * Secrets that anyone who reaches a listener may try to guess: the token of a headless gateway
 * (its API and dashboard answer the network) and Telegram's webhook secret (whoever has it posts
 * updates as any sender, the owner included). A short one is refused where it is used, in one
 * line that names the key and its length, never the secret.
 *
 * @module
 */

/** The shortest such secret taken (a gateway's own token is 43 characters). */
export const MIN_NETWORK_SECRET = 16;

/** How to make a good one, as the refusals say. */
export const MAKE_SECRET = "head -c 32 /dev/urandom | base64 | tr -d '/+='";

/** Why `secret`, the value of `key`, is too short to face the network, or undefined when it is not. */
export function shortSecret(key: string, secret: string): string | undefined {
  if (secret.length >= MIN_NETWORK_SECRET) return undefined;
  return `${key} has ${secret.length} characters and needs at least ${MIN_NETWORK_SECRET}: ` +
    `anyone who reaches the listener may try to guess it. Make one with: ${MAKE_SECRET}`;
}
