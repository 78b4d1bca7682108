/**
 * The keys and certificate an agent keeps in `$KAFCLAW_HOME/identity/` (0700; every file 0600):
 * `agent.key` (its Ed25519 private key, PKCS #8), `agent.cert.json` (its membership certificate
 * and the issuer's signature), and, on the owner's machine only, `owner.key`, the group owner's
 * private key, which signs certificates and the group's manifest and never leaves that folder.
 *
 * @module
 */
import { join } from "node:path";
import {
  CertificateBundle,
  exportPrivateKey,
  exportPublicKey,
  generateKeyPair,
  importKeyPair,
} from "../protocol/mod.ts";

/** A key pair with its public key as the protocol writes it. */
export interface KeyPair {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** base64url of the raw 32 bytes. */
  readonly publicKeyText: string;
}

/** The files of an identity folder. */
export const IDENTITY_FILES = {
  agentKey: "agent.key",
  certificate: "agent.cert.json",
  ownerKey: "owner.key",
} as const;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function writePrivate(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.chmod(dir, 0o700);
  const path = join(dir, name);
  await Deno.writeFile(path, bytes, { mode: 0o600, createNew: true });
}

async function readKey(path: string): Promise<KeyPair> {
  let pair: CryptoKeyPair;
  try {
    pair = await importKeyPair(await Deno.readFile(path));
  } catch (error) {
    if (error instanceof TypeError) {
      throw new Error(`Cannot read key ${path}: it is not an Ed25519 PKCS #8 private key`);
    }
    throw error;
  }
  return { ...pair, publicKeyText: await exportPublicKey(pair.publicKey) };
}

async function makeKey(dir: string, name: string): Promise<KeyPair> {
  const pair = await generateKeyPair();
  await writePrivate(dir, name, await exportPrivateKey(pair.privateKey));
  return readKey(join(dir, name));
}

/** The agent's key pair, made (0600) on first use. */
export async function agentKey(dir: string): Promise<KeyPair> {
  const path = join(dir, IDENTITY_FILES.agentKey);
  return await exists(path) ? await readKey(path) : await makeKey(dir, IDENTITY_FILES.agentKey);
}

/** The owner's key pair, if this is the owner's identity folder. */
export async function ownerKey(dir: string): Promise<KeyPair | undefined> {
  const path = join(dir, IDENTITY_FILES.ownerKey);
  return await exists(path) ? await readKey(path) : undefined;
}

/** Makes the owner's key pair (0600). Throws when one exists: an owner key is never replaced. */
export async function createOwnerKey(dir: string): Promise<KeyPair> {
  const path = join(dir, IDENTITY_FILES.ownerKey);
  if (await exists(path)) {
    throw new Error(`Cannot create the owner key: ${path} exists; a group keeps its owner key`);
  }
  return await makeKey(dir, IDENTITY_FILES.ownerKey);
}

/** The agent's certificate, if it has one. Throws a one-line Error for a file that is not one. */
export async function readCertificate(dir: string): Promise<CertificateBundle | undefined> {
  const path = join(dir, IDENTITY_FILES.certificate);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const parsed = CertificateBundle.safeParse(value);
  if (!parsed.success) {
    throw new Error(`Cannot read certificate ${path}: it is not {"cert", "cert_sig"} JSON`);
  }
  return { cert: parsed.data.cert, cert_sig: parsed.data.cert_sig };
}

/** Stores the agent's certificate (0600), replacing an older one. */
export async function writeCertificate(dir: string, bundle: CertificateBundle): Promise<void> {
  await Deno.remove(join(dir, IDENTITY_FILES.certificate)).catch(() => {});
  const json = JSON.stringify({ cert: bundle.cert, cert_sig: bundle.cert_sig }, null, 2) + "\n";
  await writePrivate(dir, IDENTITY_FILES.certificate, new TextEncoder().encode(json));
}
