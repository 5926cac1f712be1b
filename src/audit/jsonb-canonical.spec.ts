import * as fc from 'fast-check';
import { canonicalJsonbText } from './jsonb-canonical';
import { canonicalJson } from './leaf';

/** JSON text laid out as jsonb prints it: `, ` and `: ` separators, keys by length then bytes. */
function jsonbLike(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(jsonbLike).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort((a, b) => {
      const x = Buffer.from(a),
        y = Buffer.from(b);
      return x.length - y.length || Buffer.compare(x, y);
    });
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbLike((v as Record<string, unknown>)[k])}`).join(', ')}}`;
  }
  return JSON.stringify(v);
}

function rewrite(text: string): string | null {
  const src = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(src.length);
  const end = canonicalJsonbText(src, 0, src.length, out, 0);
  return end < 0 ? null : out.subarray(0, end).toString('utf8');
}

describe('canonicalJsonbText', () => {
  it('writes canonicalJson of the parsed text, or declines', () => {
    const key = fc.oneof(
      fc.string(),
      fc.constantFrom(
        'a',
        'b',
        'aa',
        'a ',
        'a!',
        'B',
        '__proto__',
        '10',
        '1',
        'é',
        '\ud83d\ude00',
        '"',
        '\\',
      ),
    );
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string({ unit: 'binary' }),
        fc.array(tie('v'), { maxLength: 4 }),
        tie('o'),
      ),
      o: fc.dictionary(key, tie('v'), { maxKeys: 6 }),
    })).v;
    let rewritten = 0;
    fc.assert(
      fc.property(value, (v) => {
        const text = jsonbLike(v);
        const got = rewrite(text);
        if (got !== null) {
          rewritten++;
          expect(got).toBe(canonicalJson(JSON.parse(text)));
        }
      }),
      { numRuns: 3000 },
    );
    expect(rewritten).toBeGreaterThan(500);
  });

  it('sorts ASCII keys by UTF-16 order, a prefix first, and declines what it cannot prove', () => {
    expect(rewrite('{"b": 1, "a ": [1, "x"], "a": {"z": null, "y": true}}')).toBe(
      '{"a":{"y":true,"z":null},"a ":[1,"x"],"b":1}',
    );
    expect(rewrite('{"é": 1}')).toBeNull();
    expect(rewrite('{"a\\"": 1}')).toBeNull();
    expect(rewrite('1.50')).toBeNull();
    expect(rewrite('-0')).toBeNull();
    expect(rewrite('1234567890123456')).toBeNull();
    expect(rewrite('"caf\\u0001é"')).toBe('"caf\\u0001é"');
    expect(rewrite('[]')).toBe('[]');
    expect(rewrite('{}')).toBe('{}');
  });
});
