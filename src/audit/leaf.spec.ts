import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { canonicalJson, canonicalLeafJson, hashLeafEvent, LeafEvent } from './leaf';

const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('"', '\\', '\u0000', '\u001f', '\u007f', '\u2028', '日本語', '😀', 'a"b\\c\n'));
const nullable = fc.option(text, { nil: null });
const event: fc.Arbitrary<LeafEvent> = fc.record({
  leafIndex: fc.nat({ max: 2 ** 40 }),
  id: fc.bigInt({ min: 1n, max: 2n ** 62n }).map(String),
  occurredAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace('Z', '123Z')),
  actorType: text,
  actorId: nullable,
  organizationId: fc.option(fc.uuid(), { nil: null }),
  action: text,
  resourceType: text,
  resourceId: nullable,
  recordId: fc.option(fc.uuid(), { nil: null }),
  outcome: text,
  reasonCode: nullable,
  requestId: nullable,
  sourceIp: nullable,
  details: fc.oneof(fc.constant(null), fc.jsonValue(), fc.dictionary(text, fc.jsonValue())),
});

describe('canonical JSON of a leaf (RFC 8785)', () => {
  it('is byte for byte what the canonicalize library writes, for any event', () => {
    fc.assert(
      fc.property(event, (e) => {
        expect(canonicalLeafJson(e)).toBe(canonicalize(e));
        const want = createHash('sha256').update(Buffer.from([0])).update(canonicalize(e)!, 'utf8').digest();
        expect(hashLeafEvent(e).equals(want)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('orders keys by UTF-16 code units and writes numbers as ECMAScript does', () => {
    const v = { b: 1e21, a: [1.5, -0, 1e-7], '\u20ac': true, '\ud83d\ude00': null, é: 'x', A: {} };
    expect(canonicalJson(v)).toBe(canonicalize(v));
    expect(canonicalJson(v)).toBe('{"A":{},"a":[1.5,0,1e-7],"b":1e+21,"é":"x","€":true,"😀":null}');
    expect(() => canonicalJson(NaN)).toThrow();
  });
});
