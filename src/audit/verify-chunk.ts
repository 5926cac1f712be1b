/**
 * The per-leaf half of verification, for one aligned chunk of leaves: each leaf hash recomputed
 * from its event and compared with the stored one, no gap, and the Merkle subtree stack of the
 * chunk at the sizes the caller asks for. Pure (no database, no framework), so it runs in worker
 * threads; the caller joins chunks in order (see LogVerifier).
 */
import { hashLeafEvent, LeafRow, toLeafEvent } from './leaf';
import { CompactRange, Hash } from './merkle';

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

/** Something that yields the leaf hash recomputed for an event at a given index, and the stored one. */
export interface LeafSource {
  length: number;
  index(i: number): number;
  stored(i: number): Buffer | null;
  /** The leaf hash of row i as if it were sealed at `at`. */
  hashAt(i: number, at: number): Hash;
}

export function rowSource(rows: LeafRow[]): LeafSource {
  return {
    length: rows.length,
    index: (i) => Number(rows[i]!.leaf_index),
    stored: (i) => rows[i]!.leaf_hash,
    hashAt: (i, at) => hashLeafEvent(toLeafEvent(rows[i]!, at)),
  };
}

/** Checks the leaves of one chunk starting at `start` (a multiple of CHUNK, or any start for a single-chunk use). */
export function verifyChunk(src: LeafSource, start: number, end: number, probeSizes: number[]): ChunkResult {
  const range = new CompactRange();
  const probes: ChunkResult['probes'] = [];
  const wanted = probeSizes.filter((s) => s > start && s <= end).sort((a, b) => a - b);
  let p = 0;
  let failure: LeafFailure | undefined;
  for (let i = 0; i < src.length; i++) {
    const expected = start + i;
    const index = src.index(i);
    if (index !== expected) {
      failure = { index: expected, reason: index > expected ? `leaf ${expected} is missing` : `leaf ${index} appears twice` };
      break;
    }
    const stored = src.stored(i);
    const h = src.hashAt(i, index);
    if (!stored || !h.equals(stored)) {
      failure = { index, reason: `event at leaf ${index} does not match its sealed hash (changed, swapped or inserted)` };
      // An event whose stored hash is its hash at an earlier index was moved up: the events
      // before it, from that index on, were inserted (their own hashes may look right).
      for (let k = 1; stored && k <= SHIFT_WINDOW && index - k >= 0; k++) {
        if (src.hashAt(i, index - k).equals(stored)) {
          failure = {
            index: index - k,
            shiftedFrom: index - k,
            reason: `the event at leaf ${index} was sealed at leaf ${index - k}: ${k} event(s) inserted from leaf ${index - k} on`,
          };
          break;
        }
      }
      break;
    }
    range.append(h);
    while (p < wanted.length && wanted[p] === start + range.size) probes.push({ size: wanted[p++]!, nodes: range.nodes() });
  }
  return { start, count: range.size, failure, probes, end: range.nodes() };
}
