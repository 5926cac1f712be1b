/**
 * The per-leaf half of verification, for one aligned chunk of leaves: each leaf hash recomputed
 * from its event and compared with the stored one, no gap, and the Merkle subtree stack of the
 * chunk at the sizes the caller asks for. Pure (no database, no framework), so it runs in worker
 * threads; the caller joins chunks in order (see LogVerifier).
 */
import { hashLeafEvent, LeafRow, toLeafEvent } from './leaf';
import { Hash, sha256Latin1 } from './merkle';

/** Leaves per chunk: a power of two, so that a full chunk is one perfect subtree of the log. */
export const CHUNK = 1 << 16;

export interface StackNode {
  size: number;
  hash: Hash;
}

export interface LeafFailure {
  index: number;
  reason: string;
  /** Where an event that moved was sealed: leaves from here on were inserted before it. */
  shiftedFrom?: number;
}

export interface ChunkResult {
  start: number;
  /** Leaves checked (all of the chunk unless it failed). */
  count: number;
  failure?: LeafFailure;
  /** The chunk's subtree stack over [start, size) at each asked size within the chunk. */
  probes: { size: number; nodes: StackNode[] }[];
  /** The stack over everything checked. */
  end: StackNode[];
}

/** How far back to look for where a moved event was sealed (events inserted before it). */
const SHIFT_WINDOW = 64;

/**
 * A digest as a 32-character latin1 string (see sha256Latin1): the chunk's leaves and nodes are
 * hashed as these, and only the few stack nodes a chunk answers become Buffers.
 */
export type HashText = string;

/** Whether the 32 bytes of `stored` from `at` are this digest (a stored hash of another length never is). */
function sameDigest(h: HashText, stored: Uint8Array, at: number): boolean {
  if (stored.length - at < 32 || h.length !== 32) return false;
  for (let i = 0; i < 32; i++) if (h.charCodeAt(i) !== stored[at + i]) return false;
  return true;
}

const nodeInput = Buffer.alloc(65);
nodeInput[0] = 1;

/** RFC 6962 node hash over latin1 digests. */
function nodeHashText(left: HashText, right: HashText): HashText {
  // A loop, not Buffer#write: on Node 20 each write is a call into C++ costing more than the copy.
  for (let i = 0; i < 32; i++) {
    nodeInput[1 + i] = left.charCodeAt(i);
    nodeInput[33 + i] = right.charCodeAt(i);
  }
  return sha256Latin1(nodeInput);
}

/**
 * CompactRange (merkle.ts) over latin1 digests: the perfect subtrees of the leaves appended, biggest
 * first. Their sizes are the binary digits of the count, so only the hashes are kept, on a stack
 * that never shrinks (push and pop on arrays cost more than the hashing on Node 20).
 */
class TextRange {
  private readonly hashes: HashText[] = [];
  private top = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  append(leaf: HashText): void {
    let hash = leaf;
    // One merge per trailing 1 bit of the count (arithmetic: counts may pass 2^31).
    for (let c = this.count; c % 2 === 1; c = (c - 1) / 2) hash = nodeHashText(this.hashes[--this.top]!, hash);
    this.hashes[this.top++] = hash;
    this.count++;
  }

  nodes(): StackNode[] {
    const out: StackNode[] = [];
    let rest = this.count;
    let biggest = 1;
    while (biggest * 2 <= rest) biggest *= 2;
    for (let size = biggest; rest > 0; size /= 2) {
      if (rest < size) continue;
      out.push({ size, hash: Buffer.from(this.hashes[out.length]!, 'latin1') });
      rest -= size;
    }
    return out;
  }
}

/** Something that yields the leaf hash recomputed for an event at a given index, and the stored one. */
export interface LeafSource {
  length: number;
  index(i: number): number;
  stored(i: number): Buffer | null;
  /** The leaf hash of row i as if it were sealed at `at`. */
  hashAt(i: number, at: number): HashText;
}

export function rowSource(rows: LeafRow[]): LeafSource {
  return {
    length: rows.length,
    index: (i) => Number(rows[i]!.leaf_index),
    // A stored hash of any other length than 32 bytes is none (ChunkChecker reads 32 bytes).
    stored: (i) => (rows[i]!.leaf_hash?.length === 32 ? rows[i]!.leaf_hash : null),
    hashAt: (i, at) => hashLeafEvent(toLeafEvent(rows[i]!, at)).toString('latin1'),
  };
}

/**
 * Checks the leaves of one chunk as they stream in (no row is kept): `add` one leaf at a time in
 * order, then `result`. After a failure the remaining leaves are ignored.
 */
export class ChunkChecker {
  private readonly range = new TextRange();
  private readonly probes: ChunkResult['probes'] = [];
  private readonly wanted: number[];
  private p = 0;
  private failure: LeafFailure | undefined;

  constructor(
    private readonly start: number,
    end: number,
    probeSizes: number[],
  ) {
    this.wanted = probeSizes.filter((s) => s > start && s <= end).sort((a, b) => a - b);
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * One leaf: its stored index and hash (the 32 bytes of `stored` from `storedAt`, so that a reader
   * can pass the bytes it read the row into instead of a copy; null when there is none or when the
   * stored value is not 32 bytes long: only the caller knows that length), and its
   * hash recomputed as if sealed at a given index (called synchronously, only within this call).
   * Answers false once the chunk has failed.
   */
  add(index: number, stored: Uint8Array | null, hashAt: (at: number) => HashText, storedAt = 0): boolean {
    if (this.failure) return false;
    const expected = this.start + this.range.size;
    if (index !== expected) {
      this.failure = { index: expected, reason: index > expected ? `leaf ${expected} is missing` : `leaf ${index} appears twice` };
      return false;
    }
    const h = hashAt(index);
    if (!stored || !sameDigest(h, stored, storedAt)) {
      this.failure = { index, reason: `event at leaf ${index} does not match its sealed hash (changed, swapped or inserted)` };
      // An event whose stored hash is its hash at an earlier index was moved up: the events
      // before it, from that index on, were inserted (their own hashes may look right).
      for (let k = 1; stored && k <= SHIFT_WINDOW && index - k >= 0; k++) {
        if (sameDigest(hashAt(index - k), stored, storedAt)) {
          this.failure = {
            index: index - k,
            shiftedFrom: index - k,
            reason: `the event at leaf ${index} was sealed at leaf ${index - k}: ${k} event(s) inserted from leaf ${index - k} on`,
          };
          break;
        }
      }
      return false;
    }
    this.range.append(h);
    const wanted = this.wanted;
    while (this.p < wanted.length && wanted[this.p] === this.start + this.range.size) this.probes.push({ size: wanted[this.p++]!, nodes: this.range.nodes() });
    return true;
  }

  result(): ChunkResult {
    return { start: this.start, count: this.range.size, failure: this.failure, probes: this.probes, end: this.range.nodes() };
  }
}

/** Checks the leaves of one chunk starting at `start` (a multiple of CHUNK, or any start for a single-chunk use). */
export function verifyChunk(src: LeafSource, start: number, end: number, probeSizes: number[]): ChunkResult {
  const checker = new ChunkChecker(start, end, probeSizes);
  for (let i = 0; i < src.length; i++) {
    if (!checker.add(src.index(i), src.stored(i), (at) => src.hashAt(i, at))) break;
  }
  return checker.result();
}
