import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csvCell, csvLine, CSV_COLUMNS } from '../audit-query.service';
import { hashLeafEvent, LeafEvent } from '../leaf';
import { CompactRange as ServiceRange, leafHash as serviceLeafHash, rootOf } from '../merkle';

/** The parts of the standalone verifier these tests call (it is plain JavaScript with JSDoc types). */
interface Standalone {
  canonicalJson(v: unknown): string;
  leafBytes(e: Record<string, unknown>, leafIndex: number): Buffer;
  leafHash(data: Uint8Array | string): Buffer;
  fastLeafHash(line: string): Buffer | null;
  rootOfLeaves(leaves: Uint8Array[]): Buffer;
  CompactRange: new () => { size: number; append(size: number, hash: Uint8Array): void; root(): Buffer };
  parseNote(text: string): { body: string; origin: string; size: number; root: Buffer; sigs: { name: string; id: number; sig: Buffer }[] };
  findNoteText(content: string): string | null;
  verifyExport(
    file: string,
    needed: number[],
    opts: { workers: number; chunkBytes: number },
  ): Promise<{ format: string; formatError: string | null; sealed: number; failure: { index: number; message: string } | null; root: Buffer; roots: Map<number, Buffer> }>;
}
const standalone = createRequire(__filename)('./verify-audit-log.js') as Standalone;

/** An exported event (the export's member order) with the leaf the service hashes for it. */
function exported(e: Omit<LeafEvent, 'leafIndex'>, leafIndex: number) {
  const leaf: LeafEvent = { leafIndex, ...e };
  const view = { ...e, leafIndex, leafHash: hashLeafEvent(leaf).toString('base64') };
  const ordered = {
    id: view.id,
    occurredAt: view.occurredAt,
    actorType: view.actorType,
    actorId: view.actorId,
    organizationId: view.organizationId,
    action: view.action,
    resourceType: view.resourceType,
    resourceId: view.resourceId,
    recordId: view.recordId,
    outcome: view.outcome,
    reasonCode: view.reasonCode,
    requestId: view.requestId,
    sourceIp: view.sourceIp,
    details: view.details,
    leafIndex: view.leafIndex,
    leafHash: view.leafHash,
  };
  return { leaf, line: JSON.stringify(ordered), view: ordered };
}

const text = (unit: 'grapheme' | 'binary' | 'grapheme-ascii') => fc.string({ unit, maxLength: 24 });
const nullable = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });
const event = (unit: 'grapheme' | 'binary' | 'grapheme-ascii', details: fc.Arbitrary<unknown>) =>
  fc.record({
    id: fc.bigInt({ min: 1n, max: 10n ** 15n }).map(String),
    occurredAt: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString().replace('Z', '123Z')),
    actorType: fc.constantFrom('user', 'client', 'anonymous', 'system'),
    actorId: nullable(text(unit)),
    organizationId: nullable(fc.uuid()),
    action: text(unit),
    resourceType: text(unit),
    resourceId: nullable(text(unit)),
    recordId: nullable(text(unit)),
    outcome: fc.constantFrom('success', 'denied', 'failure'),
    reasonCode: nullable(text(unit)),
    requestId: nullable(text(unit)),
    sourceIp: nullable(fc.ipV4()),
    details: details,
  });

describe('standalone verifier: the same leaves as the service', () => {
  it('writes RFC 8785 canonical JSON as the canonicalize package does', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (v) => {
        expect(standalone.canonicalJson(v)).toBe(canonicalize(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('hashes every exported event as the service does, by the slow path and (when it takes the line) the fast path', () => {
    fc.assert(
      fc.property(event('binary', fc.jsonValue({ stringUnit: 'binary', maxDepth: 4 })), fc.integer({ min: 0, max: 2 ** 40 }), (e, i) => {
        const { leaf, line, view } = exported(e, i);
        const want = hashLeafEvent(leaf);
        expect(standalone.leafHash(standalone.leafBytes(JSON.parse(line) as Record<string, unknown>, i))).toEqual(want);
        expect(standalone.leafHash(standalone.leafBytes(view, i))).toEqual(want);
        const fast = standalone.fastLeafHash(line);
        if (fast) expect(fast).toEqual(want);
      }),
      { numRuns: 3000 },
    );
  });

  it('takes the fast path for events as the service writes them, details members in any order', () => {
    const integer = fc.integer({ min: -(10 ** 15) + 1, max: 10 ** 15 - 1 });
    const scalar = fc.oneof(text('grapheme'), integer, fc.boolean(), fc.constant(null));
    const name = fc.string({ unit: 'grapheme-ascii', maxLength: 12 }).filter((s) => !/["\\\u0000-\u001f]/.test(s));
    const details = fc.oneof(fc.constant(null), fc.dictionary(name, fc.oneof(scalar, fc.array(scalar, { maxLength: 4 }), fc.dictionary(name, scalar, { maxKeys: 4 })), { maxKeys: 6 }));
    fc.assert(
      fc.property(event('grapheme', details), fc.integer({ min: 0, max: 2 ** 40 }), (e, i) => {
        const { leaf, line } = exported(e, i);
        if (/\\/.test(line)) return; // escapes go the slow way by design
        expect(standalone.fastLeafHash(line)).toEqual(hashLeafEvent(leaf));
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves to the slow path what is not in canonical form', () => {
    const base = exported(
      { id: '7', occurredAt: '2025-04-01T09:30:00.123456Z', actorType: 'user', actorId: 'a', organizationId: null, action: 'x', resourceType: 'y', resourceId: null, recordId: null, outcome: 'success', reasonCode: null, requestId: null, sourceIp: null, details: { b: 1, a: [1, 2] } },
      3,
    ).line;
    expect(standalone.fastLeafHash(base)).not.toBeNull();
    for (const [from, to] of [
      ['"details":{"b":1', '"details":{"b":1.0'], // not the shortest number
      ['"details":{"b":1', '"details":{"b":1e0'],
      ['"details":{"b":1', '"details":{"b": 1'], // whitespace
      ['"details":{"b":1', '"details":{"a":0,"b":1'], // a duplicate member (JSON.parse keeps the last)
      ['"actorId":"a"', '"actorId":"\\u0061"'], // an escape
      ['"leafIndex":3', '"leafIndex":03'],
      ['{"id":"7",', '{ "id":"7",'],
      ['"id":"7","occurredAt"', '"occurredAt":"2025-04-01T09:30:00.123456Z","id":"7","x"'], // another member order
    ]) {
      const line = base.replace(from!, to!);
      expect({ line, fast: standalone.fastLeafHash(line) }).toEqual({ line, fast: null });
    }
  });

  it.each(['binary', 'grapheme'] as const)('reads back every event the service exports, as CSV and as NDJSON, whatever its text (%s strings)', async (unit) => {
    const dir = mkdtempSync(join(tmpdir(), 'oie-verify-unit-'));
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(event(unit, fc.jsonValue({ stringUnit: unit, maxDepth: 3 })), { minLength: 1, maxLength: 12 }), async (list) => {
          const all = list.map((e, i) => exported(e, i));
          const root = rootOf(all.map((x) => hashLeafEvent(x.leaf)));
          writeFileSync(join(dir, 'events.csv'), CSV_COLUMNS.join(',') + '\n' + all.map((x) => csvLine(x.view as Parameters<typeof csvLine>[0])).join(''));
          writeFileSync(join(dir, 'events.ndjson'), all.map((x) => x.line + '\n').join(''));
          for (const file of ['events.csv', 'events.ndjson']) {
            const r = await standalone.verifyExport(join(dir, file), [], { workers: 0, chunkBytes: 1 << 20 });
            expect({ file, failure: r.failure, sealed: r.sealed, root: r.root.toString('base64') }).toEqual({ file, failure: null, sealed: all.length, root: root.toString('base64') });
          }
        }),
        { numRuns: 300 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('computes the roots of merkle.ts, also when whole perfect subtrees are appended at once', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 8 }), { maxLength: 140 }), fc.integer({ min: 0, max: 6 }), (data, k) => {
        const leaves = data.map((d) => serviceLeafHash(Buffer.from(d)));
        expect(standalone.rootOfLeaves(leaves)).toEqual(rootOf(leaves));
        // append aligned subtrees of size 2^k where they fit, single leaves elsewhere
        const range = new standalone.CompactRange();
        const service = new ServiceRange();
        let i = 0;
        while (i < leaves.length) {
          const size = 2 ** k;
          if (i % size === 0 && i + size <= leaves.length) {
            range.append(size, rootOf(leaves.slice(i, i + size)));
            i += size;
          } else range.append(1, leaves[i++]!);
        }
        for (const l of leaves) service.append(l);
        expect(range.size).toBe(leaves.length);
        expect(range.root()).toEqual(service.root());
      }),
      { numRuns: 500 },
    );
    expect(standalone.leafHash('')).toEqual(serviceLeafHash(''));
  });

  it('undoes the CSV formula guard the export puts on', () => {
    // the export's own cell writer; the verifier removes one leading ' from a quoted cell that starts with one
    for (const v of ['=1', '+1', '-1', '@x', '\tx', '\rx', "'x", "''x", 'x', '']) {
      const cell = csvCell(v);
      const inner = cell.slice(1, -1).replace(/""/g, '"');
      expect(inner.startsWith("'") ? inner.slice(1) : inner).toBe(v);
    }
  });
});

describe('standalone verifier: notes', () => {
  const body = 'example.com/log\n3\nXexOsQN++FyaWMmKkQfCUlotKcwSYLnC0jyCzbRa7zk=\n';
  const sig = `\u2014 example.com/log ${Buffer.alloc(68, 1).toString('base64')}\n`;

  it('parses a checkpoint, tolerating CRLF and trailing newlines, and finds notes in JSON and receipts', () => {
    const note = `${body}\n${sig}`;
    const parsed = standalone.parseNote(note.replace(/\n/g, '\r\n') + '\n\n');
    expect(parsed).toMatchObject({ body, origin: 'example.com/log', size: 3 });
    expect(parsed.sigs).toEqual([{ name: 'example.com/log', id: 0x01010101, sig: Buffer.alloc(64, 1) }]);
    expect(standalone.findNoteText(JSON.stringify({ checkpoint: { note } }))).toBe(note);
    expect(standalone.findNoteText(JSON.stringify({ note }))).toBe(note);
    const jws = ['e30', Buffer.from(JSON.stringify({ disclosure: 1, checkpoint: { note } })).toString('base64url'), 'c2ln'].join('.');
    expect(standalone.findNoteText(jws)).toBe(note);
    expect(standalone.findNoteText(JSON.stringify({ receipt: jws }))).toBe(note);
    expect(standalone.findNoteText(JSON.stringify({ treeSize: 3 }))).toBeNull();
  });

  it('rejects what is not a checkpoint note', () => {
    for (const bad of [
      body, // no signatures
      `${body}\n`,
      `${body}\n\u2014 example.com/log\n`,
      `${body}\n- example.com/log ${Buffer.alloc(68).toString('base64')}\n`, // a hyphen, not an em dash
      `${body}\n\u2014 a+b ${Buffer.alloc(68).toString('base64')}\n`,
      `example.com/log\n03\nXexOsQN++FyaWMmKkQfCUlotKcwSYLnC0jyCzbRa7zk=\n\n${sig}`,
      `example.com/log\n3\nnot base64\n\n${sig}`,
      `example.com/log\n3\nAAAA\n\n${sig}`,
      `example.com/log\n3\n\n\n${sig}`,
      `example.com/log\t\n3\nXexOsQN++FyaWMmKkQfCUlotKcwSYLnC0jyCzbRa7zk=\n\n${sig}`,
    ]) expect(() => standalone.parseNote(bad)).toThrow();
  });
});
