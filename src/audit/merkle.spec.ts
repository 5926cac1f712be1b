import fc from 'fast-check';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CompactRange, consistencyProof, EMPTY_ROOT, inclusionProof, inclusionProofWith, leafHash, rootOf, SubtreeCache, verifyConsistency, verifyInclusion } from './merkle';

const VECTORS = join(__dirname, '..', '..', 'test', 'fixtures', 'rfc6962');
const b64 = (s: string) => Buffer.from(s, 'base64');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.json') ? [p] : [];
  });
}

interface InclusionVector { leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[] | null; desc: string; wantErr: boolean }
interface ConsistencyVector { size1: number; size2: number; root1: string; root2: string; proof: string[] | null; desc: string; wantErr: boolean }

describe('RFC 6962 Merkle tree', () => {
  describe('published inclusion vectors', () => {
    const vectors = files(join(VECTORS, 'inclusion'));
    it('has all 98', () => expect(vectors).toHaveLength(98));
    it.each(vectors.map((f) => [f.slice(VECTORS.length + 1), f]))('%s', (_name, file) => {
      const v = JSON.parse(readFileSync(file, 'utf8')) as InclusionVector;
      const ok = verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), (v.proof ?? []).map(b64), b64(v.root));
      expect(ok).toBe(!v.wantErr);
    });
  });

  describe('published consistency vectors', () => {
    const vectors = files(join(VECTORS, 'consistency'));
    it('has all 98', () => expect(vectors).toHaveLength(98));
    it.each(vectors.map((f) => [f.slice(VECTORS.length + 1), f]))('%s', (_name, file) => {
      const v = JSON.parse(readFileSync(file, 'utf8')) as ConsistencyVector;
      const ok = verifyConsistency(v.size1, v.size2, (v.proof ?? []).map(b64), b64(v.root1), b64(v.root2));
      expect(ok).toBe(!v.wantErr);
    });
  });

  it('computes the known root of the reference tree of 8 leaves', () => {
    const data = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
    const leaves = data.map((h) => leafHash(Buffer.from(h, 'hex')));
    expect(rootOf(leaves).toString('base64')).toBe('XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=');
    expect(rootOf([]).toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(EMPTY_ROOT.toString('hex')).toMatch(/^e3b0c442/);
  });

  const leavesArb = fc.array(fc.uint8Array({ maxLength: 16 }), { minLength: 1, maxLength: 70 }).map((ds) => ds.map((d) => leafHash(Buffer.from(d))));

  it('verifies every inclusion proof it produces, and never one for a changed leaf', () => {
    fc.assert(
      fc.property(leavesArb, fc.nat(), (leaves, seed) => {
        const i = seed % leaves.length;
        const root = rootOf(leaves);
        const proof = inclusionProof(i, leaves);
        const changed = leafHash(Buffer.concat([Buffer.from('x'), leaves[i]!]));
        return verifyInclusion(i, leaves.length, leaves[i]!, proof, root) && !verifyInclusion(i, leaves.length, changed, proof, root);
      }),
      { numRuns: 300 },
    );
  });

  it('verifies every consistency proof it produces, and never one after a changed leaf', () => {
    fc.assert(
      fc.property(leavesArb, fc.nat(), fc.nat(), (leaves, s1, s2) => {
        const m = 1 + (s1 % leaves.length);
        const proof = consistencyProof(m, leaves);
        const ok = verifyConsistency(m, leaves.length, proof, rootOf(leaves.slice(0, m)), rootOf(leaves));
        const j = s2 % m;
        const tampered = leaves.slice();
        tampered[j] = leafHash(Buffer.concat([Buffer.from('y'), leaves[j]!]));
        const bad = verifyConsistency(m, leaves.length, proof, rootOf(tampered.slice(0, m)), rootOf(leaves));
        return ok && !bad;
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the same root incrementally as from scratch', () => {
    fc.assert(
      fc.property(leavesArb, (leaves) => {
        const range = new CompactRange();
        return leaves.every((l, i) => {
          range.append(l);
          return range.root().equals(rootOf(leaves.slice(0, i + 1))) && range.size === i + 1;
        });
      }),
      { numRuns: 100 },
    );
  });
});

describe('a compact range kept as its frontier', () => {
  it('comes back from its frontier with the same root, and takes further leaves the same way', () => {
    const leaves = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
    for (let n = 0; n <= 64; n++) {
      const r = new CompactRange();
      for (const l of leaves.slice(0, n)) r.append(l);
      const back = CompactRange.fromFrontier(n, r.frontier());
      expect(back.size).toBe(n);
      expect(back.root().equals(rootOf(leaves.slice(0, n)))).toBe(true);
      expect(r.frontier()).toHaveLength(32 * [...n.toString(2)].filter((d) => d === '1').length);
      for (const l of leaves.slice(n, n + 6)) back.append(l);
      expect(back.root().equals(rootOf(leaves.slice(0, n + 6)))).toBe(true);
    }
  });

  it('refuses a frontier whose length does not fit its tree size', () => {
    const r = new CompactRange();
    for (let i = 0; i < 11; i++) r.append(leafHash(Buffer.from([i])));
    const f = r.frontier(); // 11 = 8 + 2 + 1: three hashes
    expect(() => CompactRange.fromFrontier(11, f.subarray(0, 64))).toThrow(/shorter/);
    expect(() => CompactRange.fromFrontier(11, Buffer.concat([f, Buffer.alloc(32)]))).toThrow(/longer/);
    expect(() => CompactRange.fromFrontier(12, f)).toThrow(/longer/); // 12 = 8 + 4: two
    expect(() => CompactRange.fromFrontier(-1, f)).toThrow(RangeError);
    expect(CompactRange.fromFrontier(0, Buffer.alloc(0)).root().equals(EMPTY_ROOT)).toBe(true);
  });
});

describe('consistency proofs from a subtree cache', () => {
  it('equal the direct computation and read far fewer leaves', async () => {
    const leaves = Array.from({ length: 5000 }, (_, i) => leafHash(String(i)));
    let read = 0;
    const cache = new SubtreeCache(async (from, to) => {
      read += to - from;
      return leaves.slice(from, to);
    }, 16);
    for (const [m, n] of [[1, 5000], [4096, 5000], [4097, 5000], [1000, 4999], [17, 33], [5000, 5000], [3, 4]] as const) {
      const want = consistencyProof(m, leaves.slice(0, n));
      expect(await cache.consistencyProof(m, n)).toEqual(want);
      expect(verifyConsistency(m, n, want, rootOf(leaves.slice(0, m)), rootOf(leaves.slice(0, n)))).toBe(true);
    }
    read = 0;
    await cache.consistencyProof(4000, 4990); // blocks already cached: only the ragged edges are read
    expect(read).toBeLessThan(200);
    expect(await cache.rangeRoot(0, 5000)).toEqual(rootOf(leaves));
  });
});

describe('inclusion proofs from a subtree cache', () => {
  it('equal the direct computation for every leaf of many sizes, and verify', async () => {
    const leaves = Array.from({ length: 300 }, (_, i) => leafHash(`leaf ${i}`));
    const cache = new SubtreeCache(async (from, to) => leaves.slice(from, to), 4);
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 63, 64, 65, 129, 300]) {
      const tree = leaves.slice(0, n);
      const root = rootOf(tree);
      for (let m = 0; m < n; m++) {
        const got = await inclusionProofWith(m, n, (a, b) => cache.rangeRoot(a, b));
        expect(got).toEqual(inclusionProof(m, tree));
        expect(verifyInclusion(m, n, tree[m]!, got, root)).toBe(true);
      }
    }
    await expect(inclusionProofWith(5, 5, (a, b) => cache.rangeRoot(a, b))).rejects.toThrow(RangeError);
  });

  it('builds its blocks once when asked from many callers at once', async () => {
    const leaves = Array.from({ length: 4096 }, (_, i) => leafHash(`leaf ${i}`));
    let read = 0;
    const cache = new SubtreeCache(async (from, to) => {
      read += to - from;
      await new Promise((r) => setTimeout(r, 1));
      return leaves.slice(from, to);
    }, 16);
    const roots = await Promise.all(Array.from({ length: 8 }, () => cache.rangeRoot(0, 4096)));
    for (const r of roots) expect(r).toEqual(rootOf(leaves));
    expect(read).toBe(4096);
    expect(await cache.rangeRoot(1024, 2048)).toEqual(rootOf(leaves.slice(1024, 2048)));
  });
});
