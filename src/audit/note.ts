/**
 * C2SP signed notes (c2sp.org/signed-note), tlog checkpoints (c2sp.org/tlog-checkpoint) and
 * timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature). Node's crypto only, no framework:
 * the witness and the command-line tools use this module as it is.
 */
import { createHash, createPrivateKey, createPublicKey, KeyObject, sign as edSign, verify as edVerify } from 'node:crypto';

/** Signature type bytes of c2sp.org/signed-note. */
export const SIG_ED25519 = 0x01;
export const SIG_COSIGNATURE_V1 = 0x04;

/** Most signature lines a note may carry (the spec asks for at least 16; Go's sumdb/note allows 100). */
export const MAX_SIGNATURES = 100;

export class NoteError extends Error {
  constructor(message = 'malformed note') {
    super(message);
    this.name = 'NoteError';
  }
}

/** A key name: non-empty, no Unicode space, no plus sign. */
export function isKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(name) && !/[\u0000-\u001f]/.test(name);
}

/** key ID = SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4], big-endian. */
export function keyId(name: string, type: number, publicKey: Buffer): number {
  const h = createHash('sha256').update(name, 'utf8').update(Buffer.from([0x0a, type])).update(publicKey).digest();
  return h.readUInt32BE(0);
}

export const hex8 = (id: number) => id.toString(16).padStart(8, '0');

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function ed25519PrivateFromSeed(seed: Buffer): KeyObject {
  if (seed.length !== 32) throw new NoteError('an Ed25519 seed is 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function ed25519PublicFromRaw(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw new NoteError('an Ed25519 public key is 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** The 32 raw bytes of an Ed25519 public (or private) KeyObject. */
export function ed25519Raw(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const der = pub.export({ format: 'der', type: 'spki' });
  if (der.length !== 44 || !der.subarray(0, 12).equals(SPKI_ED25519_PREFIX)) throw new NoteError('not an Ed25519 key');
  return der.subarray(12);
}

/** Signs note texts under one name and key ID. */
export interface NoteSigner {
  name: string;
  keyId: number;
  sign(text: string): Buffer;
}

/** Checks signatures of one name and key ID; answers the cosignature timestamp when there is one. */
export interface NoteVerifier {
  name: string;
  keyId: number;
  type: number;
  publicKey: Buffer;
  /** Throws nothing: false for a signature that does not verify. */
  verify(text: string, sig: Buffer): { ok: boolean; timestamp?: number };
}

/** An Ed25519 note signer (type 0x01) over the note text. */
export function ed25519Signer(name: string, privateKey: KeyObject): NoteSigner {
  if (!isKeyName(name)) throw new NoteError('invalid key name');
  const pub = ed25519Raw(privateKey);
  return { name, keyId: keyId(name, SIG_ED25519, pub), sign: (text) => edSign(null, Buffer.from(text, 'utf8'), privateKey) };
}

/** The message a timestamped cosignature/v1 signs. */
export function cosignedMessage(text: string, timestamp: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${text}`, 'utf8');
}

/** A witness's cosigner (type 0x04): signatures are 8-byte big-endian timestamp ‖ Ed25519 signature. */
export function cosigner(name: string, privateKey: KeyObject, clock: () => number = () => Math.floor(Date.now() / 1000)): NoteSigner {
  if (!isKeyName(name)) throw new NoteError('invalid key name');
  const pub = ed25519Raw(privateKey);
  return {
    name,
    keyId: keyId(name, SIG_COSIGNATURE_V1, pub),
    sign(text) {
      const ts = clock();
      const head = Buffer.alloc(8);
      head.writeBigUInt64BE(BigInt(ts));
      return Buffer.concat([head, edSign(null, cosignedMessage(text, ts), privateKey)]);
    },
  };
}

/** `<name>+<hex key id>+<base64(type ‖ public key)>` */
export function verifierKey(name: string, type: number, publicKey: Buffer): string {
  if (!isKeyName(name)) throw new NoteError('invalid key name');
  return `${name}+${hex8(keyId(name, type, publicKey))}+${Buffer.concat([Buffer.from([type]), publicKey]).toString('base64')}`;
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 (RFC 4648 §4, padded); null when the text is not exactly that. */
export function decodeBase64(text: string): Buffer | null {
  if (!B64.test(text)) return null;
  const buf = Buffer.from(text, 'base64');
  return buf.toString('base64') === text ? buf : null;
}

/** Splits at the first n-1 plus signs (base64 may hold more). */
function splitKey(key: string, n: number): string[] | null {
  const out: string[] = [];
  let rest = key;
  for (let i = 0; i < n - 1; i++) {
    const at = rest.indexOf('+');
    if (at < 0) return null;
    out.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  out.push(rest);
  return out;
}

/** Parses a verifier key of type 0x01 (Ed25519 note signatures) or 0x04 (Ed25519 cosignatures). */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const parts = splitKey(vkey, 3);
  if (!parts) throw new NoteError('malformed verifier key');
  const [name, hash, b64] = parts as [string, string, string];
  if (!isKeyName(name) || !/^[0-9a-f]{8}$/.test(hash)) throw new NoteError('malformed verifier key');
  const raw = decodeBase64(b64);
  if (!raw || raw.length !== 33) throw new NoteError('malformed verifier key');
  const type = raw[0]!;
  const pub = raw.subarray(1);
  if (type !== SIG_ED25519 && type !== SIG_COSIGNATURE_V1) throw new NoteError('unknown verifier algorithm');
  const id = keyId(name, type, pub);
  if (hex8(id) !== hash) throw new NoteError('verifier key hash does not match');
  let key: KeyObject;
  try {
    key = ed25519PublicFromRaw(pub);
  } catch {
    throw new NoteError('malformed verifier key');
  }
  return {
    name,
    keyId: id,
    type,
    publicKey: Buffer.from(pub),
    verify(text, sig) {
      try {
        if (type === SIG_ED25519) return { ok: sig.length === 64 && edVerify(null, Buffer.from(text, 'utf8'), key, sig) };
        if (sig.length !== 72) return { ok: false };
        const ts = sig.readBigUInt64BE(0);
        if (ts > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false };
        const timestamp = Number(ts);
        return { ok: edVerify(null, cosignedMessage(text, timestamp), key, sig.subarray(8)), timestamp };
      } catch {
        return { ok: false };
      }
    },
  };
}

/** Parses a Go-style signer key `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 ‖ seed)>` (tests and tools). */
export function parseSignerKey(skey: string): NoteSigner {
  const parts = splitKey(skey, 5);
  if (!parts || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') throw new NoteError('malformed signer key');
  const [, , name, hash, b64] = parts as [string, string, string, string, string];
  const raw = decodeBase64(b64);
  if (!isKeyName(name) || !raw || raw.length !== 33 || raw[0] !== SIG_ED25519) throw new NoteError('malformed signer key');
  const signer = ed25519Signer(name, ed25519PrivateFromSeed(raw.subarray(1)));
  if (hex8(signer.keyId) !== hash) throw new NoteError('signer key hash does not match');
  return signer;
}

export interface NoteSignature {
  name: string;
  keyId: number;
  /** base64(key ID ‖ signature), as on the line. */
  base64: string;
}

export interface Note {
  /** The text, final newline included. */
  text: string;
  signatures: NoteSignature[];
}

/** One signature line, newline included. */
export function signatureLine(sig: NoteSignature): string {
  return `\u2014 ${sig.name} ${sig.base64}\n`;
}

export function makeSignature(signer: NoteSigner, text: string): NoteSignature {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(signer.keyId);
  return { name: signer.name, keyId: signer.keyId, base64: Buffer.concat([id, signer.sign(text)]).toString('base64') };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkText(text: string): void {
  if (!text.endsWith('\n') || text.length === 0) throw new NoteError();
  // UTF-8 only (no lone surrogates) and no control character but newline.
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text) || LONE_SURROGATE.test(text)) throw new NoteError();
}

/** Signs a text: `text ‖ "\n" ‖ signature lines`. */
export function signNote(text: string, ...signers: NoteSigner[]): string {
  checkText(text);
  return formatNote({ text, signatures: signers.map((s) => makeSignature(s, text)) });
}

export function formatNote(note: Note): string {
  return note.text + '\n' + note.signatures.map(signatureLine).join('');
}

/** Parses signature lines (each `— name base64\n`). */
export function parseSignatureLines(block: string): NoteSignature[] {
  if (block === '' || !block.endsWith('\n')) throw new NoteError();
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new NoteError();
  return lines.map((line) => {
    if (!line.startsWith('\u2014 ')) throw new NoteError();
    const rest = line.slice(2);
    const space = rest.indexOf(' ');
    if (space <= 0) throw new NoteError();
    const name = rest.slice(0, space);
    const b64 = rest.slice(space + 1);
    const raw = decodeBase64(b64);
    if (!isKeyName(name) || !raw || raw.length < 5) throw new NoteError();
    return { name, keyId: raw.readUInt32BE(0), base64: b64 };
  });
}

/** Splits a signed note (text and signatures, none verified). */
export function parseNote(msg: string | Buffer): Note {
  let s: string;
  if (Buffer.isBuffer(msg)) {
    s = msg.toString('utf8');
    if (!Buffer.from(s, 'utf8').equals(msg)) throw new NoteError(); // not valid UTF-8
  } else s = msg;
  if (/[\u0000-\u0009\u000b-\u001f]/.test(s) || LONE_SURROGATE.test(s)) throw new NoteError();
  const split = s.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError();
  const text = s.slice(0, split + 1);
  return { text, signatures: parseSignatureLines(s.slice(split + 2)) };
}

export interface OpenedNote extends Note {
  verified: (NoteSignature & { timestamp?: number })[];
  unverified: NoteSignature[];
}

/**
 * Verifies a note like Go's note.Open: signatures from unknown keys are kept as unverified, a
 * known key whose signature fails rejects the whole note, and at least one must verify.
 */
export function openNote(msg: string | Buffer, verifiers: NoteVerifier[]): OpenedNote {
  const note = parseNote(msg);
  const verified: OpenedNote['verified'] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const sig of note.signatures) {
    const matches = verifiers.filter((v) => v.name === sig.name && v.keyId === sig.keyId);
    if (matches.length > 1 && new Set(matches.map((m) => m.publicKey.toString('base64'))).size > 1) throw new NoteError(`ambiguous key ${sig.name}+${hex8(sig.keyId)}`);
    const v = matches[0];
    const dedup = `${sig.name} ${sig.base64}`;
    if (seen.has(dedup)) continue;
    seen.add(dedup);
    if (!v) {
      unverified.push(sig);
      continue;
    }
    const result = v.verify(note.text, Buffer.from(sig.base64, 'base64').subarray(4));
    if (!result.ok) throw new NoteError(`invalid signature for key ${sig.name}+${hex8(sig.keyId)}`);
    verified.push(result.timestamp === undefined ? sig : { ...sig, timestamp: result.timestamp });
  }
  if (verified.length === 0) throw new NoteError('note has no verifiable signatures');
  return { ...note, verified, unverified };
}

// ------------------------------------------------------------------------- checkpoints

export interface CheckpointBody {
  origin: string;
  size: number;
  rootHash: Buffer;
  /** Extension lines, without newlines. */
  extensions?: string[];
}

export function checkpointText(c: CheckpointBody): string {
  if (!c.origin || /\n/.test(c.origin)) throw new NoteError('bad origin');
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw new NoteError('bad tree size');
  if (c.rootHash.length !== 32) throw new NoteError('bad root hash');
  return [c.origin, String(c.size), c.rootHash.toString('base64'), ...(c.extensions ?? [])].join('\n') + '\n';
}

/** Parses a checkpoint's note text (c2sp.org/tlog-checkpoint). */
export function parseCheckpointText(text: string): CheckpointBody {
  if (!text.endsWith('\n')) throw new NoteError('malformed checkpoint');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new NoteError('malformed checkpoint');
  const [origin, sizeLine, hashLine, ...extensions] = lines as [string, string, string, ...string[]];
  if (!origin || !/^(0|[1-9]\d{0,15})$/.test(sizeLine)) throw new NoteError('malformed checkpoint');
  const size = Number(sizeLine);
  const rootHash = decodeBase64(hashLine);
  if (!Number.isSafeInteger(size) || !rootHash || rootHash.length !== 32 || extensions.some((l) => l === '')) throw new NoteError('malformed checkpoint');
  return { origin, size, rootHash, extensions };
}
