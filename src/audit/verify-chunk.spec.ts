import { randomBytes } from 'node:crypto';
import { CompactRange, sha256, sha256Latin1 } from './merkle';
import { hashLeafEvent, LeafRow, toLeafEvent } from './leaf';
import { ChunkChecker, rowSource, verifyChunk } from './verify-chunk';

/** Leaves whose "event" at index i hashes to sha256(seed ‖ i): what the checker recomputes. */
function leafAt(seed: Buffer, at: number): Buffer {
  return Buffer.concat([seed, Buffer.from(String(at))]);
}

describe('ChunkChecker (latin1 digests)', () => {
  it('hashes as sha256 does, byte for byte', () => {
    for (const n of [0, 1, 31, 32, 33, 65, 1000]) {
      const b = randomBytes(n);
      expect(Buffer.from(sha256Latin1(b), 'latin1')).toEqual(sha256(b));
    }
  });

  it('builds the same subtree stacks as CompactRange, at every probe size', () => {
    const seed = randomBytes(16);
    for (const [start, count] of [
      [0, 1],
      [0, 2],
      [0, 7],
      [0, 300],
      [512, 257],
    ] as const) {
      const probes = [...new Set([start + 1, start + Math.ceil(count / 3), start + count])];
      const checker = new ChunkChecker(start, start + count, probes);
      const reference = new CompactRange();
      const expectedProbes: { size: number; nodes: ReturnType<CompactRange['nodes']> }[] = [];
      for (let i = start; i < start + count; i++) {
        const h = sha256(leafAt(seed, i));
        expect(checker.add(i, h, (at) => sha256Latin1(leafAt(seed, at)))).toBe(true);
        reference.append(h);
        if (probes.includes(i + 1)) expectedProbes.push({ size: i + 1, nodes: reference.nodes() });
      }
      const r = checker.result();
      expect(r.failure).toBeUndefined();
      expect(r.count).toBe(count);
      expect(r.end).toEqual(reference.nodes());
      expect(r.probes).toEqual(expectedProbes);
    }
  });

  it('names a changed leaf, and where a moved one was sealed', () => {
    const seed = randomBytes(16);
    const hashAt = (at: number) => sha256Latin1(leafAt(seed, at));
    const changed = new ChunkChecker(0, 10, []);
    for (let i = 0; i < 4; i++) changed.add(i, sha256(leafAt(seed, i)), hashAt);
    expect(changed.add(4, randomBytes(32), hashAt)).toBe(false);
    expect(changed.result().failure).toMatchObject({ index: 4 });

    // Two events inserted at leaves 4 and 5 (hashed correctly where they sit) push the event sealed
    // at leaf 4 to leaf 6: it is named at 4, where the insertion begins.
    const shifted = new ChunkChecker(0, 10, []);
    for (let i = 0; i < 4; i++) shifted.add(i, sha256(leafAt(seed, i)), hashAt);
    const inserted = (at: number) => sha256Latin1(leafAt(seed, at + 1000));
    expect(shifted.add(4, sha256(leafAt(seed, 4 + 1000)), inserted)).toBe(true);
    expect(shifted.add(5, sha256(leafAt(seed, 5 + 1000)), inserted)).toBe(true);
    expect(shifted.add(6, sha256(leafAt(seed, 4)), hashAt)).toBe(false);
    expect(shifted.result().failure).toMatchObject({ index: 4, shiftedFrom: 4 });
  });

  it('reads a stored hash at an offset, and takes a row whose stored hash is not 32 bytes as changed', () => {
    const seed = randomBytes(16);
    const hashAt = (at: number) => sha256Latin1(leafAt(seed, at));
    const checker = new ChunkChecker(0, 3, []);
    for (let i = 0; i < 3; i++) {
      const row = Buffer.concat([randomBytes(7), sha256(leafAt(seed, i)), randomBytes(5)]);
      expect(checker.add(i, row, hashAt, 7)).toBe(true);
    }
    expect(checker.result().count).toBe(3);

    const row: LeafRow = {
      id: '7',
      occurred_at: '2026-11-30T12:00:00.000000Z',
      actor_type: 'user',
      actor_id: 'u1',
      organization_id: null,
      action: 'audit.verify',
      resource_type: 'audit',
      resource_id: null,
      record_id: null,
      outcome: 'success',
      reason_code: null,
      request_id: null,
      source_ip: null,
      details: null,
      leaf_index: '0',
      leaf_hash: null,
    };
    const good = hashLeafEvent(toLeafEvent(row, 0));
    expect(verifyChunk(rowSource([{ ...row, leaf_hash: good }]), 0, 1, []).failure).toBeUndefined();
    // The right 32 bytes with one more after them are not the stored hash.
    const longer = Buffer.concat([good, Buffer.from([0])]);
    expect(verifyChunk(rowSource([{ ...row, leaf_hash: longer }]), 0, 1, []).failure).toMatchObject({ index: 0 });
  });
});
