/**
 * Reads the leaves of a range with COPY … TO STDOUT (FORMAT binary) and checks them as the bytes
 * arrive: PostgreSQL builds the canonical leaf JSON around `details` (LEAF_PARTS_SQL), each row is
 * one CopyData message whose fields are length-prefixed byte strings, and the leaf hash is taken
 * over those bytes directly. Only `details` becomes a JS value (JSON.parse and canonicalJson, with
 * a small cache of recent texts). No row is kept: memory is one row and the chunk's compact range.
 */
import type { ClientBase } from 'pg';
import { canonicalDetails, LEAF_PARTS_SQL } from './leaf';
import { sha256 } from './merkle';
import { ChunkChecker, ChunkResult } from './verify-chunk';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const FIELDS = 6;
const DETAILS_CACHE = 4096;

export function copyLeavesSql(start: number, end: number): string {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) throw new RangeError('leaf range');
  return `COPY (SELECT ${LEAF_PARTS_SQL} FROM audit_events a WHERE a.leaf_index >= ${start} AND a.leaf_index < ${end} ORDER BY a.leaf_index) TO STDOUT (FORMAT binary)`;
}

/** A pg submittable that runs one COPY … TO STDOUT and hands each CopyData payload over synchronously. */
class CopyOut {
  private error?: Error;
  private settle!: { resolve: () => void; reject: (e: Error) => void };
  readonly done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));

  constructor(
    private readonly text: string,
    private readonly onData: (chunk: Buffer) => void,
  ) {}

  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    if (this.error) return;
    try {
      this.onData(msg.chunk);
    } catch (err) {
      this.error = err as Error;
    }
  }

  handleError(err: Error): void {
    this.error ??= err;
    this.settle.reject(this.error);
  }

  handleReadyForQuery(): void {
    if (this.error) this.settle.reject(this.error);
    else this.settle.resolve();
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {}
}

/** Streams the leaves [start, end) through a ChunkChecker; answers its result and the rows read. */
export async function checkLeavesByCopy(client: ClientBase, start: number, end: number, probeSizes: number[]): Promise<{ result: ChunkResult; rows: number }> {
  const checker = new ChunkChecker(start, end, probeSizes);
  const cache = new Map<string, Buffer>();
  let scratch = Buffer.allocUnsafe(4096);
  let header = false;
  let rows = 0;
  // Field offsets of the current row.
  let headS = 0, headE = 0, detS = -1, detE = 0, midS = 0, midE = 0, tailS = 0, tailE = 0;
  let row: Buffer = scratch;
  let detailsBytes: Buffer | null = null;

  const hashAt = (at: number): Buffer => {
    const digits = String(at);
    const det = detailsBytes;
    const need = 1 + (headE - headS) + (det ? det.length : 4) + (midE - midS) + digits.length + (tailE - tailS);
    if (need > scratch.length) scratch = Buffer.allocUnsafe(Math.max(need, scratch.length * 2));
    const s = scratch;
    s[0] = 0;
    let p = 1;
    p += row.copy(s, p, headS, headE);
    p += det ? det.copy(s, p) : s.write('null', p, 'latin1');
    p += row.copy(s, p, midS, midE);
    p += s.write(digits, p, 'latin1');
    p += row.copy(s, p, tailS, tailE);
    return sha256(s.subarray(0, p));
  };

  const onData = (chunk: Buffer) => {
    let off = 0;
    if (!header) {
      if (chunk.length < 19 || !chunk.subarray(0, 11).equals(SIGNATURE)) throw new Error('COPY: not a binary COPY stream');
      off = 19 + chunk.readInt32BE(15);
      header = true;
      if (off >= chunk.length) return;
    }
    const n = chunk.readInt16BE(off);
    off += 2;
    if (n === -1) return; // trailer
    if (n !== FIELDS) throw new Error(`COPY: ${n} fields in a row`);
    if (checker.failed) return;
    rows++;
    row = chunk;
    const field = (): number => {
      const len = chunk.readInt32BE(off);
      off += 4;
      if (len < 0) return -1;
      const s = off;
      off += len;
      return s;
    };
    headS = field();
    headE = off;
    detS = field();
    detE = off;
    midS = field();
    midE = off;
    tailS = field();
    tailE = off;
    const idxS = field();
    const hashS = field();
    if (headS < 0 || midS < 0 || tailS < 0) throw new Error('COPY: a leaf part is NULL');
    // bigint, big-endian; leaf indexes are below 2^53
    const index = idxS < 0 ? -1 : chunk.readInt32BE(idxS) * 0x1_0000_0000 + chunk.readUInt32BE(idxS + 4);
    const stored = hashS < 0 ? null : chunk.subarray(hashS, off);
    if (detS < 0) detailsBytes = null;
    else {
      const text = chunk.toString('utf8', detS, detE);
      let canon = cache.get(text);
      if (!canon) {
        canon = Buffer.from(canonicalDetails(text), 'utf8');
        if (cache.size >= DETAILS_CACHE) cache.clear();
        cache.set(text, canon);
      }
      detailsBytes = canon;
    }
    checker.add(index, stored, hashAt);
  };

  const copy = new CopyOut(copyLeavesSql(start, end), onData);
  void client.query(copy as never);
  await copy.done;
  return { result: checker.result(), rows };
}
