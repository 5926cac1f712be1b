import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A key-encryption key's id: short, printable, safe as a file name. */
export const KEK_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface WrappedKey {
  kekId: string;
  wrapped: Buffer;
}

/**
 * Wraps and unwraps data keys (DEKs) under key-encryption keys (KEKs) that have ids. The service
 * never sees how: a KMS can implement this interface (wrap = Encrypt, unwrap = Decrypt, with the
 * context as encryption context) without any change to the callers.
 */
export interface KeyEncryptionKeys {
  /** The KEK new data keys are wrapped under. */
  readonly activeId: string;
  /** Wraps a data key under the active KEK, bound to `context` (e.g. the table and row id). */
  wrap(dek: Buffer, context: string): Promise<WrappedKey>;
  /** Unwraps a data key under the KEK it names; throws when the KEK is unknown or the context differs. */
  unwrap(key: WrappedKey, context: string): Promise<Buffer>;
  /** Whether this KEK id is known (after a reload where the source allows it). */
  has(kekId: string): boolean;
}

export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringError';
  }
}

const aadOf = (kekId: string, context: string) => Buffer.from(`oie/dek/v1|${kekId}|${context}`, 'utf8');

/** `id1:base64key,id2:base64key`: each key base64 of 32 bytes. Throws a message without key material. */
export function parseKeyring(text: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const [i, entry] of text.split(',').map((e) => e.trim()).entries()) {
    if (!entry) continue;
    const at = entry.indexOf(':');
    const id = at > 0 ? entry.slice(0, at) : '';
    const key = at > 0 ? Buffer.from(entry.slice(at + 1), 'base64') : Buffer.alloc(0);
    if (!KEK_ID.test(id)) throw new KeyringError(`entry ${i + 1}: the id must be 1-64 letters, digits, dot, dash or underscore`);
    if (key.length !== 32 || !/^[A-Za-z0-9+/]{43}=$/.test(entry.slice(at + 1))) throw new KeyringError(`entry ${i + 1} (${id}): the key must be base64 of 32 bytes`);
    if (keys.has(id)) throw new KeyringError(`entry ${i + 1}: the id ${id} is listed twice`);
    keys.set(id, key);
  }
  if (keys.size === 0) throw new KeyringError('no keys');
  return keys;
}

/**
 * KEKs held by this process: AES-256-GCM key wrapping (12-byte nonce ‖ 16-byte tag ‖ 32-byte
 * wrapped key), the AAD binding the wrapped key to its KEK id and its context. With `reload`, an
 * unknown KEK id makes it read its source again once (the file keyring after `keys:rotate --new`).
 */
export class LocalKeyring implements KeyEncryptionKeys {
  constructor(
    private keys: Map<string, Buffer>,
    private active: string,
    private readonly reload?: () => { keys: Map<string, Buffer>; active: string },
  ) {
    if (!keys.has(active)) throw new KeyringError(`the active key ${active} is not in the keyring`);
  }

  get activeId(): string {
    return this.active;
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }

  has(kekId: string): boolean {
    if (this.keys.has(kekId)) return true;
    if (!this.reload || !KEK_ID.test(kekId)) return false;
    const fresh = this.reload();
    this.keys = fresh.keys;
    this.active = fresh.active;
    return this.keys.has(kekId);
  }

  async wrap(dek: Buffer, context: string): Promise<WrappedKey> {
    return this.wrapSync(dek, context);
  }

  wrapSync(dek: Buffer, context: string): WrappedKey {
    const kekId = this.active;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(kekId)!, iv);
    cipher.setAAD(aadOf(kekId, context));
    const enc = Buffer.concat([cipher.update(dek), cipher.final()]);
    return { kekId, wrapped: Buffer.concat([iv, cipher.getAuthTag(), enc]) };
  }

  async unwrap(key: WrappedKey, context: string): Promise<Buffer> {
    return this.unwrapSync(key, context);
  }

  unwrapSync(key: WrappedKey, context: string): Buffer {
    if (!this.has(key.kekId)) throw new KeyringError(`unknown key-encryption key ${key.kekId}`);
    const w = key.wrapped;
    if (w.length !== 12 + 16 + 32) throw new KeyringError('malformed wrapped key');
    const decipher = createDecipheriv('aes-256-gcm', this.keys.get(key.kekId)!, w.subarray(0, 12));
    decipher.setAAD(aadOf(key.kekId, context));
    decipher.setAuthTag(w.subarray(12, 28));
    return Buffer.concat([decipher.update(w.subarray(28)), decipher.final()]);
  }
}

/** The keyring directory: `<id>.key` files (base64 of 32 bytes) and `active` naming one of them. */
export function readKeyringDir(dir: string): { keys: Map<string, Buffer>; active: string } {
  const keys = new Map<string, Buffer>();
  for (const file of readdirSync(dir)) {
    const m = /^(.+)\.key$/.exec(file);
    if (!m || !KEK_ID.test(m[1]!)) continue;
    const key = Buffer.from(readFileSync(join(dir, file), 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new KeyringError(`the key file ${file} does not hold 32 bytes`);
    keys.set(m[1]!, key);
  }
  const active = readFileSync(join(dir, 'active'), 'utf8').trim();
  if (!keys.has(active)) throw new KeyringError(`the active key ${active} has no file`);
  return { keys, active };
}

export function newKekId(now = new Date()): string {
  return `kek-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
}

/** Adds a new random KEK to the directory and makes it the active one; answers its id. */
export function addKekToDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const id = newKekId();
  writeFileSync(join(dir, `${id}.key`), randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  const tmp = join(dir, `active.${process.pid}.tmp`);
  writeFileSync(tmp, id, { mode: 0o600 });
  renameSync(tmp, join(dir, 'active'));
  return id;
}

/** Reads a 32-byte base64 key file, generating it first when absent. */
export function keyFile(file: string): Buffer {
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new KeyringError(`the key file ${file.split('/').pop()} does not hold 32 bytes`);
  return key;
}

export interface RecordKeysConfig {
  dataDir: string;
  /** DATA_KEYRING parsed; absent: the files under DATA_DIR/keys/kek. */
  dataKeyring?: { keys: Map<string, Buffer>; active: string };
  /** BLIND_INDEX_KEY; absent: DATA_DIR/keys/blind-index.key. */
  blindIndexKey?: Buffer;
}

/** The KEKs and the blind-index key from configuration, or from files generated on first start. */
export function loadRecordKeys(config: RecordKeysConfig): { keyring: LocalKeyring; blindIndexKey: Buffer } {
  const dir = join(config.dataDir, 'keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let keyring: LocalKeyring;
  if (config.dataKeyring) keyring = new LocalKeyring(config.dataKeyring.keys, config.dataKeyring.active);
  else {
    const kekDir = join(dir, 'kek');
    if (!existsSync(join(kekDir, 'active'))) addKekToDir(kekDir);
    const first = readKeyringDir(kekDir);
    keyring = new LocalKeyring(first.keys, first.active, () => readKeyringDir(kekDir));
  }
  const blindIndexKey = config.blindIndexKey ?? keyFile(join(dir, 'blind-index.key'));
  return { keyring, blindIndexKey };
}
