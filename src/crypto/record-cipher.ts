import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { KeyEncryptionKeys } from './keyring';

/** Format byte of a sealed value: 1 = AES-256-GCM, 12-byte nonce ‖ 16-byte tag ‖ ciphertext. */
const V1 = 0x01;

export class SealedValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedValueError';
  }
}

/** What one row's values are bound to: the AAD of each value names the table, the row id and the column. */
const fieldAad = (table: string, id: string, column: string) => Buffer.from(`oie/field/v1|${table}|${id}|${column}`, 'utf8');
const dekContext = (table: string, id: string) => `${table}/${id}`;

export function sealValue(dek: Buffer, table: string, id: string, column: string, plain: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', dek, iv);
  cipher.setAAD(fieldAad(table, id, column));
  const enc = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([V1]), iv, cipher.getAuthTag(), enc]);
}

export function openValue(dek: Buffer, table: string, id: string, column: string, sealed: Buffer): string {
  if (sealed.length < 29 || sealed[0] !== V1) throw new SealedValueError('unreadable sealed value');
  const decipher = createDecipheriv('aes-256-gcm', dek, sealed.subarray(1, 13));
  decipher.setAAD(fieldAad(table, id, column));
  decipher.setAuthTag(sealed.subarray(13, 29));
  return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8');
}

/** A row's wrapped data key as stored. */
export interface StoredKey {
  kekId: string;
  wrapped: Buffer;
}

/**
 * Envelope encryption of one table's rows: a random 256-bit data key per row, wrapped by the
 * keyring (bound to table and row id), each value sealed under it with AES-256-GCM (bound to table,
 * row id and column). Plus the blind index: HMAC-SHA256 under its own key, never a KEK.
 */
export class RowCipher<C extends string> {
  constructor(
    private readonly keys: KeyEncryptionKeys,
    private readonly blindKey: Buffer,
    readonly table: string,
  ) {}

  /** Seals the values of a row (null stays null) under a fresh data key; answers the wrapped key too. */
  async seal(id: string, values: Record<C, string | null>): Promise<{ key: StoredKey; sealed: Record<C, Buffer | null> }> {
    const dek = randomBytes(32);
    try {
      const key = await this.keys.wrap(dek, dekContext(this.table, id));
      const sealed = {} as Record<C, Buffer | null>;
      for (const column of Object.keys(values) as C[]) {
        const v = values[column];
        sealed[column] = v === null ? null : sealValue(dek, this.table, id, column, v);
      }
      return { key, sealed };
    } finally {
      dek.fill(0);
    }
  }

  async unwrap(id: string, key: StoredKey): Promise<Buffer> {
    return this.keys.unwrap(key, dekContext(this.table, id));
  }

  /** Opens the given sealed values of a row (null stays null). */
  async open<K extends C>(id: string, key: StoredKey, sealed: Record<K, Buffer | null>): Promise<Record<K, string | null>> {
    const dek = await this.unwrap(id, key);
    try {
      return this.openWith(dek, id, sealed);
    } finally {
      dek.fill(0);
    }
  }

  openWith<K extends C>(dek: Buffer, id: string, sealed: Record<K, Buffer | null>): Record<K, string | null> {
    const out = {} as Record<K, string | null>;
    for (const column of Object.keys(sealed) as K[]) {
      const v = sealed[column];
      out[column] = v === null || v === undefined ? null : openValue(dek, this.table, id, column, v);
    }
    return out;
  }

  /** Re-wraps a row's data key under the active KEK (rotation); the sealed values do not change. */
  async rewrap(id: string, key: StoredKey): Promise<StoredKey> {
    const dek = await this.unwrap(id, key);
    try {
      return await this.keys.wrap(dek, dekContext(this.table, id));
    } finally {
      dek.fill(0);
    }
  }

  get activeKekId(): string {
    return this.keys.activeId;
  }

  /**
   * The blind index of a match key: HMAC-SHA256 over its parts, each length-prefixed so no two
   * different inputs share a message. Same cost whatever the input (fixed-size output, one HMAC).
   */
  blindIndex(purpose: string, ...parts: string[]): Buffer {
    const h = createHmac('sha256', this.blindKey);
    h.update(`oie/bidx/v1|${this.table}|${purpose}`);
    for (const p of parts) {
      const b = Buffer.from(p, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length);
      h.update(len).update(b);
    }
    return h.digest();
  }
}
