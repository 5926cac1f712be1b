/**
 * Reads the leaves of a range with COPY … TO STDOUT (FORMAT binary) and checks them as the bytes
 * arrive. Each row is one CopyData message whose fields are length-prefixed byte strings (text as
 * UTF-8, bigint, uuid and timestamptz in binary); the canonical leaf JSON (canonicalLeafJson, RFC 8785) is
 * written straight from those bytes into one reused buffer and hashed there, so no column becomes
 * a JS string. A text field is copied between quotes only when it is printable ASCII without `"`
 * or `\` (where JSON.stringify is the identity); any other text goes through JSON.stringify itself.
 * `details` (jsonb as text) is rewritten into its RFC 8785 form from its bytes where the shape allows
 * (canonicalJsonbText), else turned into a JS value and written by canonicalJson, as the sealer does.
 * No row is kept: memory is one row and the compact range.
 */
import type { ClientBase } from 'pg';
import { canonicalJsonbText } from './jsonb-canonical';
import { canonicalDetails } from './leaf';
import { sha256Latin1 } from './merkle';
import { ChunkChecker, ChunkResult } from './verify-chunk';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** The COPY columns, in this order. */
const COLUMNS = [
  'a.leaf_index',
  'a.leaf_hash',
  'a.id',
  // Binary (microseconds since 2000-01-01 UTC), formatted here exactly as the sealer's to_char
  // does: to_char cost PostgreSQL more than half of its CPU time for the whole COPY.
  'a.occurred_at',
  'a.actor_type',
  'a.actor_id',
  'a.organization_id',
  'a.action',
  'a.resource_type',
  'a.resource_id',
  'a.record_id',
  'a.outcome',
  'a.reason_code',
  'a.request_id',
  'a.source_ip',
  'a.details::text',
] as const;
const F_INDEX = 0,
  F_HASH = 1,
  F_ID = 2,
  F_OCCURRED = 3,
  F_ACTOR_TYPE = 4,
  F_ACTOR_ID = 5,
  F_ORG = 6,
  F_ACTION = 7,
  F_RES_TYPE = 8,
  F_RES_ID = 9,
  F_RECORD = 10,
  F_OUTCOME = 11,
  F_REASON = 12,
  F_REQUEST = 13,
  F_IP = 14,
  F_DETAILS = 15;
const FIELDS = COLUMNS.length;

/**
 * Planner settings for the chunk queries, for the rest of the transaction they are run in. A chunk
 * is a range of the unique leaf index read in its order, so an index scan is the plan: the heap is
 * laid out in runs of leaf order (the sealer updates events in that order), the rows come out
 * sorted, and nothing is spilled. At 10 M events PostgreSQL's statistics (a low physical
 * correlation of leaf_index over the whole table) made it choose a parallel bitmap heap scan, a
 * sort of each 65,536-row chunk that spilled to disk, and a Gather Merge of two workers: about 115
 * ms of wall time and three processes per chunk where the index scan takes about 77 ms in one, on
 * cores the verification already keeps busy.
 */
export const LEAF_SCAN_SETTINGS = `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true),
  set_config('enable_sort', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`;

export function copyLeavesSql(start: number, end: number): string {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) throw new RangeError('leaf range');
  return `COPY (SELECT ${COLUMNS.join(', ')} FROM audit_events a WHERE a.leaf_index >= ${start} AND a.leaf_index < ${end} ORDER BY a.leaf_index) TO STDOUT (FORMAT binary)`;
}

const ascii = (s: string) => Buffer.from(s, 'latin1');
const K = {
  action: ascii('\u0000{"action":'),
  actorId: ascii(',"actorId":'),
  actorType: ascii(',"actorType":'),
  details: ascii(',"details":'),
  id: ascii(',"id":'),
  leafIndex: ascii(',"leafIndex":'),
  occurredAt: ascii(',"occurredAt":'),
  organizationId: ascii(',"organizationId":'),
  outcome: ascii(',"outcome":'),
  reasonCode: ascii(',"reasonCode":'),
  recordId: ascii(',"recordId":'),
  requestId: ascii(',"requestId":'),
  resourceId: ascii(',"resourceId":'),
  resourceType: ascii(',"resourceType":'),
  sourceIp: ascii(',"sourceIp":'),
};
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const NULL = ascii('null');

/** Copies a short byte string (a loop beats Buffer#copy below a few dozen bytes). */
function put(b: Buffer, p: number, src: Uint8Array): number {
  for (let i = 0; i < src.length; i++) b[p++] = src[i]!;
  return p;
}

/** Writes ASCII text (digits). */
function putAscii(b: Buffer, p: number, text: string): number {
  for (let i = 0; i < text.length; i++) b[p++] = text.charCodeAt(i);
  return p;
}

/**
 * Turns binary COPY rows of COLUMNS into the leaf bytes `0x00 ‖ canonical JSON`. One instance per
 * stream; `row` parses a CopyData payload, after which `index`, `storedIn`/`storedAt` and `leafBytes(at)` describe
 * that row until the next call (the returned bytes are a view of a reused buffer).
 */
export class LeafRowReader {
  private header = false;
  private buf = Buffer.allocUnsafe(8192);
  private readonly s = new Int32Array(FIELDS);
  private readonly e = new Int32Array(FIELDS);
  private chunk: Buffer = this.buf;
  /** Where the leaf index digits start in the last built bytes, how many, and the end. */
  private at = -1;
  private digitsAt = 0;
  private digitsLen = 0;
  private end = 0;
  index = -1;
  /** The stored leaf hash: the 32 bytes of `storedIn` from `storedAt` (null when absent or not 32 bytes long). */
  storedIn: Buffer | null = null;
  storedAt = 0;
  /** Views of `buf` from 0 by length, made once each (a view per leaf was a tenth of the work). */
  private views: Buffer[] = [];

  /** Parses one CopyData payload, `chunk[start, end)`; false for the header alone or the trailer. */
  row(chunk: Buffer, start = 0, end = chunk.length): boolean {
    let off = start;
    if (!this.header) {
      if (end - start < 19 || chunk.compare(SIGNATURE, 0, 11, start, start + 11) !== 0)
        throw new Error('COPY: not a binary COPY stream');
      off = start + 19 + chunk.readInt32BE(start + 15);
      this.header = true;
      if (off >= end) return false;
    }
    if (off + 2 > end) throw new Error('COPY: a row without its field count');
    const n = chunk.readInt16BE(off);
    off += 2;
    if (n === -1) return false; // trailer
    if (n !== FIELDS) throw new Error(`COPY: ${n} fields in a row`);
    const s = this.s,
      e = this.e;
    for (let f = 0; f < FIELDS; f++) {
      if (off + 4 > end) throw new Error('COPY: a row ends inside a field length');
      const len = (chunk[off]! << 24) | (chunk[off + 1]! << 16) | (chunk[off + 2]! << 8) | chunk[off + 3]!; // int32, -1 for NULL
      off += 4;
      if (len < 0 || off + len > end) {
        if (len >= 0) throw new Error('COPY: a field runs past its row');
        s[f] = -1;
        e[f] = -1;
      } else {
        s[f] = off;
        off += len;
        e[f] = off;
      }
    }
    if (off !== end) throw new Error('COPY: a row does not end where its fields do');
    this.chunk = chunk;
    this.index = s[F_INDEX]! < 0 ? -1 : int8(chunk, s[F_INDEX]!);
    this.storedIn = e[F_HASH]! - s[F_HASH]! === 32 ? chunk : null;
    this.storedAt = s[F_HASH]!;
    this.at = -1;
    return true;
  }

  /** `0x00 ‖ canonicalLeafJson(event of this row, sealed at leaf `at`)`. */
  leafBytes(at: number): Buffer {
    if (this.at === -1) this.build(at);
    else if (this.at !== at) this.redigit(at);
    return (this.views[this.end] ??= this.buf.subarray(0, this.end));
  }

  /** Makes `buf` at least `need` bytes long, keeping its first `keep` bytes. */
  private grow(need: number, keep: number): Buffer {
    const bigger = Buffer.allocUnsafe(need);
    this.buf.copy(bigger, 0, 0, keep);
    this.views = [];
    return (this.buf = bigger);
  }

  /** The leaf hash as a latin1 string (what ChunkChecker compares and joins: cheaper to make than a Buffer). */
  leafHashText(at: number): string {
    return sha256Latin1(this.leafBytes(at));
  }

  private build(at: number): void {
    const c = this.chunk,
      s = this.s;
    // Worst case: every byte a \u00XX escape or an invalid byte decoded as U+FFFD; keys and numbers.
    const need = 6 * c.length + 512;
    let b = this.buf.length < need ? this.grow(Math.max(need, this.buf.length * 2), 0) : this.buf;
    let p = 0;
    p = put(b, p, K.action);
    p = this.str(p, F_ACTION);
    p = put(b, p, K.actorId);
    p = this.str(p, F_ACTOR_ID);
    p = put(b, p, K.actorType);
    p = this.str(p, F_ACTOR_TYPE);
    p = put(b, p, K.details);
    if (s[F_DETAILS]! < 0) p = put(b, p, NULL);
    else {
      const q = canonicalJsonbText(c, s[F_DETAILS]!, this.e[F_DETAILS]!, b, p);
      if (q >= 0) p = q;
      else {
        const canon = Buffer.from(
          canonicalDetails(c.toString('utf8', s[F_DETAILS]!, this.e[F_DETAILS]!)),
          'utf8',
        );
        if (b.length < p + canon.length + need) b = this.grow(p + canon.length + need, p);
        p += canon.copy(b, p);
      }
    }
    p = put(b, p, K.id);
    if (s[F_ID]! < 0) p = put(b, p, NULL);
    else {
      b[p++] = 0x22;
      p = putAscii(b, p, int8Text(c, s[F_ID]!));
      b[p++] = 0x22;
    }
    p = put(b, p, K.leafIndex);
    this.digitsAt = p;
    const digits = String(at);
    this.digitsLen = digits.length;
    p = putAscii(b, p, digits);
    p = put(b, p, K.occurredAt);
    p = this.timestamp(p, F_OCCURRED);
    p = put(b, p, K.organizationId);
    p = this.uuid(p, F_ORG);
    p = put(b, p, K.outcome);
    p = this.str(p, F_OUTCOME);
    p = put(b, p, K.reasonCode);
    p = this.str(p, F_REASON);
    p = put(b, p, K.recordId);
    p = this.uuid(p, F_RECORD);
    p = put(b, p, K.requestId);
    p = this.str(p, F_REQUEST);
    p = put(b, p, K.resourceId);
    p = this.str(p, F_RES_ID);
    p = put(b, p, K.resourceType);
    p = this.str(p, F_RES_TYPE);
    p = put(b, p, K.sourceIp);
    p = this.str(p, F_IP);
    b[p++] = 0x7d; // }
    this.end = p;
    this.at = at;
  }

  /** The same bytes with other leaf index digits (only when looking for where a moved event was sealed). */
  private redigit(at: number): void {
    const digits = Buffer.from(String(at), 'latin1');
    const tail = Buffer.from(this.buf.subarray(this.digitsAt + this.digitsLen, this.end));
    const need = this.digitsAt + digits.length + tail.length;
    if (this.buf.length < need) this.grow(need * 2, this.digitsAt);
    let p = this.digitsAt + digits.copy(this.buf, this.digitsAt);
    p += tail.copy(this.buf, p);
    this.digitsLen = digits.length;
    this.end = p;
    this.at = at;
  }

  /** A text field as JSON.stringify writes it (or null). */
  private str(p: number, f: number): number {
    const c = this.chunk,
      b = this.buf;
    const s = this.s[f]!,
      e = this.e[f]!;
    if (s < 0) return put(b, p, NULL);
    // Copied as it is checked (one pass); the first byte JSON.stringify would change starts over.
    let q = p;
    b[q++] = 0x22;
    for (let i = s; i < e; i++) {
      const x = c[i]!;
      if (x < 0x20 || x > 0x7e || x === 0x22 || x === 0x5c)
        return p + b.write(JSON.stringify(c.toString('utf8', s, e)), p, 'utf8');
      b[q++] = x;
    }
    b[q++] = 0x22;
    return q;
  }

  /**
   * A timestamptz (int64 microseconds since 2000-01-01 00:00 UTC) as the sealer's
   * `to_char(… AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` writes it, quoted (or null).
   * The date part is worked out once per day (consecutive events share it).
   */
  private timestamp(p: number, f: number): number {
    const c = this.chunk,
      b = this.buf;
    const s = this.s[f]!;
    if (s < 0) return put(b, p, NULL);
    if (this.e[f]! - s !== 8) throw new Error('COPY: a timestamptz is not 8 bytes');
    let day: number, t: number;
    const hi = c.readInt32BE(s);
    if (hi < 0x100000 && hi >= -0x100000) {
      // within ±142 years of 2000: exact in doubles
      const us = hi * 0x1_0000_0000 + c.readUInt32BE(s + 4) + PG_EPOCH_US;
      day = Math.floor(us / DAY_US);
      t = us - day * DAY_US;
    } else {
      const us = c.readBigInt64BE(s) + BigInt(PG_EPOCH_US);
      let d = us / BigInt(DAY_US);
      if (d * BigInt(DAY_US) > us) d -= 1n;
      day = Number(d);
      t = Number(us - d * BigInt(DAY_US));
    }
    if (day !== this.day) {
      this.day = day;
      this.dayText = dateText(day);
    }
    b[p++] = 0x22;
    p = put(b, p, this.dayText);
    const hms = Math.floor(t / 1_000_000);
    t -= hms * 1_000_000;
    p = two(b, p, Math.floor(hms / 3600));
    b[p++] = 0x3a;
    p = two(b, p, Math.floor(hms / 60) % 60);
    b[p++] = 0x3a;
    p = two(b, p, hms % 60);
    b[p++] = 0x2e;
    for (let d = 100_000; d >= 1; d /= 10) b[p++] = 0x30 + (Math.floor(t / d) % 10);
    b[p++] = 0x5a; // Z
    b[p++] = 0x22;
    return p;
  }

  private day = NaN;
  private dayText: Buffer = Buffer.alloc(0);

  /** A uuid (16 bytes) as its text form, quoted (or null). */
  private uuid(p: number, f: number): number {
    const c = this.chunk,
      b = this.buf;
    const s = this.s[f]!;
    if (s < 0) return put(b, p, NULL);
    if (this.e[f]! - s !== 16) throw new Error('COPY: a uuid is not 16 bytes');
    b[p++] = 0x22;
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) b[p++] = 0x2d;
      const x = c[s + i]!;
      b[p++] = HEX[x >> 4]!;
      b[p++] = HEX[x & 15]!;
    }
    b[p++] = 0x22;
    return p;
  }
}

/** PostgreSQL's timestamp epoch (2000-01-01 00:00 UTC) in Unix microseconds, and a day. */
const PG_EPOCH_US = 946_684_800_000_000;
const DAY_US = 86_400_000_000;

/** Two decimal digits. */
function two(b: Buffer, p: number, n: number): number {
  b[p++] = 0x30 + Math.floor(n / 10);
  b[p++] = 0x30 + (n % 10);
  return p;
}

/**
 * `YYYY-MM-DDT` of a day counted from 1970-01-01, as to_char's `YYYY-MM-DD"T"` writes it: the year
 * in at least four digits. Years before 1 (BC) have no such form and are refused.
 */
function dateText(day: number): Buffer {
  const d = new Date(day * 86_400_000);
  const y = d.getUTCFullYear();
  if (!(y >= 1)) throw new Error('COPY: an event time before year 1');
  const m = d.getUTCMonth() + 1,
    dd = d.getUTCDate();
  return Buffer.from(`${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${dd < 10 ? '0' : ''}${dd}T`, 'latin1');
}

/** A bigint below 2^53 in absolute value as a number. */
function int8(c: Buffer, at: number): number {
  const hi = c.readInt32BE(at);
  if (hi >= 0x200000 || hi < -0x200000) return Number(c.readBigInt64BE(at));
  return hi * 0x1_0000_0000 + c.readUInt32BE(at + 4);
}

/** A bigint's decimal text, exact at any size. */
function int8Text(c: Buffer, at: number): string {
  const hi = c.readInt32BE(at);
  if (hi >= 0x200000 || hi < -0x200000) return c.readBigInt64BE(at).toString();
  return String(hi * 0x1_0000_0000 + c.readUInt32BE(at + 4));
}

/** The data listeners of a connection's socket, restored when a CopyOut is done with it. */
type DataListener = (chunk: Buffer) => void;

const COPY_DATA = 0x64; // 'd'
const READY_FOR_QUERY = 0x5a; // 'Z'

/**
 * A pg submittable that runs one COPY … TO STDOUT and hands each row (a CopyData payload) over
 * synchronously, as a range of the socket's own buffer.
 *
 * node-postgres parses every CopyData into a message object with a Buffer view of its own and
 * passes it through two event emitters: at one message per row that was a quarter of the cost of
 * moving the rows. So, like pg-copy-streams' copy-to, this takes the socket's `data` events for the
 * length of the query: it frames the messages itself, reads each row where it lies (a row split
 * between two socket reads is copied once), and hands every other message (CopyOutResponse,
 * CopyDone, CommandComplete, notices, an error, ReadyForQuery), whole, to node-postgres' own parser,
 * which then finishes the query as usual. Its listeners are back before ReadyForQuery returns.
 */
class CopyOut {
  private error?: Error;
  private settle!: { resolve: () => void; reject: (e: Error) => void };
  readonly done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
  private stream?: { on(e: 'data', l: DataListener): unknown; removeListener(e: 'data', l: DataListener): unknown; listeners(e: 'data'): unknown[] };
  private pg: DataListener[] = [];
  private readonly own: DataListener = (chunk) => this.frame(chunk);
  /** A message split between socket reads: its bytes so far. */
  private part: Buffer = Buffer.allocUnsafe(0);
  private partLen = 0;

  constructor(
    private readonly text: string,
    private readonly onRow: (buf: Buffer, start: number, end: number) => void,
  ) {}

  submit(connection: { query(text: string): void; stream: NonNullable<CopyOut['stream']> }): void {
    // Between queries node-postgres' parser holds no partial message (the last one was ReadyForQuery).
    const stream = connection.stream;
    this.stream = stream;
    this.pg = stream.listeners('data') as DataListener[];
    for (const l of this.pg) stream.removeListener('data', l);
    stream.on('data', this.own);
    connection.query(this.text);
  }

  /** Gives the socket back to node-postgres (idempotent). */
  private release(): void {
    const stream = this.stream;
    if (!stream) return;
    this.stream = undefined;
    stream.removeListener('data', this.own);
    for (const l of this.pg) stream.on('data', l);
  }

  private forward(buf: Buffer): void {
    for (const l of this.pg) l(buf);
  }

  private frame(chunk: Buffer): void {
    let off = 0;
    if (this.partLen > 0) {
      off = this.fill(chunk);
      if (off < 0) return; // still partial
      const len = this.partLen;
      this.partLen = 0;
      if (this.message(this.part, 0, len, chunk, off)) return;
    }
    const n = chunk.length;
    while (off + 5 <= n) {
      const end = off + 1 + chunk.readUInt32BE(off + 1);
      if (end > n) break;
      if (this.message(chunk, off, end, chunk, end)) return;
      off = end;
    }
    if (off < n) {
      if (this.part.length < n - off) this.part = Buffer.allocUnsafe(Math.max(n - off, 8192));
      this.partLen = chunk.copy(this.part, 0, off);
    }
  }

  /** Completes the partial message from `chunk`: answers where the rest of `chunk` starts, or -1. */
  private fill(chunk: Buffer): number {
    let off = 0;
    if (this.partLen < 5) {
      off = Math.min(5 - this.partLen, chunk.length);
      this.partLen += chunk.copy(this.part, this.partLen, 0, off);
      if (this.partLen < 5) return -1;
    }
    const total = 1 + this.part.readUInt32BE(1);
    if (this.part.length < total) {
      const bigger = Buffer.allocUnsafe(total);
      this.part.copy(bigger, 0, 0, this.partLen);
      this.part = bigger;
    }
    const take = Math.min(total - this.partLen, chunk.length - off);
    this.partLen += chunk.copy(this.part, this.partLen, off, off + take);
    return this.partLen < total ? -1 : off + take;
  }

  /**
   * One whole message `buf[start, end)`. A row goes to onRow; anything else to node-postgres; after
   * ReadyForQuery the rest of the socket read (`rest` from `restAt`) too, and the socket is given
   * back: answers true then.
   */
  private message(buf: Buffer, start: number, end: number, rest: Buffer, restAt: number): boolean {
    if (buf[start] === COPY_DATA) {
      this.row(buf, start + 5, end);
      return false;
    }
    if (buf[start] !== READY_FOR_QUERY) {
      this.forward(buf.subarray(start, end));
      return false;
    }
    this.release();
    // ReadyForQuery and whatever followed it in the same read, as node-postgres would have seen them.
    this.forward(buf === rest ? rest.subarray(start) : Buffer.concat([buf.subarray(start, end), rest.subarray(restAt)]));
    return true;
  }

  private row(buf: Buffer, start: number, end: number): void {
    if (this.error) return;
    try {
      this.onRow(buf, start, end);
    } catch (err) {
      this.error = err as Error;
    }
  }

  handleError(err: Error): void {
    this.error ??= err;
    // The socket stays ours until ReadyForQuery (which releases it): after a server error it
    // follows at once; after node-postgres' own query_timeout the server is still sending rows,
    // which only this framer can skip whole. A connection that died never sends it, and its
    // socket goes with it.
    this.settle.reject(this.error);
  }

  handleReadyForQuery(): void {
    this.release();
    if (this.error) this.settle.reject(this.error);
    else this.settle.resolve();
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    // Not reached while the socket is ours (node-postgres sees no CopyData then).
    this.row(msg.chunk, 0, msg.chunk.length);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {}
}

/** Streams the rows of COPY `sql` (COLUMNS) through `onRow`, synchronously per row. */
export async function copyLeafRows(
  client: ClientBase,
  sql: string,
  onRow: (r: LeafRowReader) => void,
): Promise<void> {
  const reader = new LeafRowReader();
  const copy = new CopyOut(sql, (buf, start, end) => {
    if (reader.row(buf, start, end)) onRow(reader);
  });
  void client.query(copy as never);
  await copy.done;
}

/** Streams the leaves [start, end) through a ChunkChecker; answers its result and the rows read. */
export async function checkLeavesByCopy(
  client: ClientBase,
  start: number,
  end: number,
  probeSizes: number[],
): Promise<{ result: ChunkResult; rows: number }> {
  const checker = new ChunkChecker(start, end, probeSizes);
  let rows = 0;
  let r: LeafRowReader;
  const hashAt = (at: number) => r.leafHashText(at);
  await copyLeafRows(client, copyLeavesSql(start, end), (reader) => {
    rows++;
    if (checker.failed) return;
    r = reader;
    checker.add(reader.index, reader.storedIn, hashAt, reader.storedAt);
  });
  return { result: checker.result(), rows };
}
