/**
 * Signed notes for tests (c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature): Ed25519 keys
 * from a seed, verifier keys, checkpoint notes signed by a log key and cosigned by witnesses.
 * The service signs its own checkpoints; these stand in for it where a test needs a note of its own
 * (a throwaway log, a witness, a rolled-back or forked log).
 */
import { createHash, createPrivateKey, createPublicKey, KeyObject, randomBytes, sign } from 'node:crypto';

/** Signature types of c2sp.org/signed-note: 0x01 Ed25519 over the note text, 0x04 timestamped cosignature/v1. */
export type NoteKeyType = 0x01 | 0x04;

export interface NoteSigner {
  name: string;
  type: NoteKeyType;
  /** The 4-byte key id: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]. */
  keyId: Buffer;
  publicKey: Buffer;
  privateKey: KeyObject;
  /** The verifier key `<name>+<hex key id>+<base64(type ‖ public key)>`. */
  vkey: string;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An Ed25519 key pair from a 32-byte seed (RFC 8032), so examples can be reproduced. */
export function ed25519FromSeed(seed: Buffer): { privateKey: KeyObject; publicKey: Buffer } {
  if (seed.length !== 32) throw new RangeError('an Ed25519 seed is 32 bytes');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return { privateKey, publicKey: Buffer.from(jwk.x!, 'base64url') };
}

export function noteKeyId(name: string, type: NoteKeyType, publicKey: Buffer): Buffer {
  return createHash('sha256').update(name, 'utf8').update('\n').update(Buffer.from([type])).update(publicKey).digest().subarray(0, 4);
}

/** A signer of the given type; the seed defaults to random bytes. */
export function noteSigner(name: string, type: NoteKeyType, seed: Buffer = randomBytes(32)): NoteSigner {
  const { privateKey, publicKey } = ed25519FromSeed(seed);
  const keyId = noteKeyId(name, type, publicKey);
  const vkey = `${name}+${keyId.toString('hex')}+${Buffer.concat([Buffer.from([type]), publicKey]).toString('base64')}`;
  return { name, type, keyId, publicKey, privateKey, vkey };
}

/** A log's key: plain Ed25519 note signatures. */
export const logSigner = (name: string, seed?: Buffer) => noteSigner(name, 0x01, seed);
/** A witness's key: timestamped Ed25519 cosignatures (cosignature/v1). */
export const witnessSigner = (name: string, seed?: Buffer) => noteSigner(name, 0x04, seed);

/** The text of a checkpoint: origin, tree size, base64 root hash, each on its own line. */
export function checkpointBody(origin: string, treeSize: number, rootHash: Buffer | string): string {
  const root = typeof rootHash === 'string' ? rootHash : rootHash.toString('base64');
  return `${origin}\n${treeSize}\n${root}\n`;
}

/** One signature line for a note text. Cosignatures sign "cosignature/v1\ntime <t>\n" + the text. */
export function signatureLine(body: string, signer: NoteSigner, time = Math.floor(Date.now() / 1000)): string {
  let sig: Buffer;
  if (signer.type === 0x01) sig = sign(null, Buffer.from(body, 'utf8'), signer.privateKey);
  else {
    const stamp = Buffer.alloc(8);
    stamp.writeBigUInt64BE(BigInt(time));
    sig = Buffer.concat([stamp, sign(null, Buffer.from(`cosignature/v1\ntime ${time}\n${body}`, 'utf8'), signer.privateKey)]);
  }
  return `\u2014 ${signer.name} ${Buffer.concat([signer.keyId, sig]).toString('base64')}\n`;
}

/** A signed note: the text, a blank line, one signature line per signer (in order). */
export function signNote(body: string, signers: NoteSigner[], time?: number): string {
  return `${body}\n${signers.map((s) => signatureLine(body, s, time)).join('')}`;
}

/** A checkpoint note signed by the log and then by any witnesses. */
export function checkpointNote(log: NoteSigner, treeSize: number, rootHash: Buffer | string, witnesses: NoteSigner[] = [], time?: number, origin = log.name): string {
  return signNote(checkpointBody(origin, treeSize, rootHash), [log, ...witnesses], time);
}

/** Adds a witness's cosignature to a signed note. */
export function cosign(note: string, witness: NoteSigner, time?: number): string {
  const split = note.lastIndexOf('\n\n');
  const body = note.slice(0, split + 1);
  return note + signatureLine(body, witness, time);
}

/** The text a note signs (everything before the blank line, with its final newline). */
export function noteBody(note: string): string {
  return note.slice(0, note.lastIndexOf('\n\n') + 1);
}
