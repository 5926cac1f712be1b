import fc from 'fast-check';

/**
 * Hostile inputs for the fuzzer: what the DTOs accept, written down as small schemas, and
 * generators that break exactly one rule of a valid body (so the input is certainly invalid), or
 * feed tricky but possibly valid text where the application must merely stay well-behaved.
 */

// ---- bodies as raw JSON ---------------------------------------------------------------------

/** JSON text spliced in as is (deep nesting that would overflow a recursive serialiser). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** Serialises own enumerable keys, `__proto__` included when defined as an own property. */
export function toJson(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .map((k) => `${JSON.stringify(k)}:${toJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  if (typeof v === 'number' && !Number.isFinite(v)) return '1e999';
  return JSON.stringify(v) ?? 'null';
}

/** Sets a key as an own enumerable property, even `__proto__`. */
export function defineKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export const deepNested = (depth: number, kind: 'array' | 'object') =>
  new RawJson(
    kind === 'array'
      ? '['.repeat(depth) + ']'.repeat(depth)
      : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
  );

// ---- schemas --------------------------------------------------------------------------------

export type Field =
  | { k: 'plain'; req?: boolean; max: number } // @Normalized @IsString @IsPlainText @MaxLength
  | { k: 'string'; req?: boolean; max: number } // @IsString @MaxLength, control characters allowed
  | { k: 'enum'; req?: boolean; values: readonly string[] }
  | { k: 'date'; req?: boolean } // YYYY-MM-DD that exists
  | { k: 'datetime'; req?: boolean } // RFC 3339 with offset
  | { k: 'uuid'; req?: boolean }
  | { k: 'pattern'; req?: boolean; re: RegExp }
  | { k: 'email'; req?: boolean }
  | { k: 'int'; req?: boolean; min: number; max: number }
  | { k: 'bool'; req?: boolean }
  | { k: 'array'; req?: boolean; of: Field; maxItems?: number; unique?: boolean }
  | { k: 'object'; req?: boolean; fields: Schema }
  | { k: 'objectArray'; req?: boolean; fields: Schema; maxItems?: number };
export type Schema = Record<string, Field>;

export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;
export const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/i;
export function isCalendarDate(v: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v && d.getUTCFullYear() >= 1900;
}
/** Characters @IsPlainText refuses (controls other than tab/newline/return, bidi controls). */
export const PLAIN_TEXT_FORBIDDEN =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069\u200e\u200f]/;

/** Does a string satisfy the field's format rule (so it cannot serve as a certainly-invalid value)? */
function formatAccepts(f: Field, s: string): boolean {
  switch (f.k) {
    case 'enum':
      return f.values.includes(s);
    case 'date':
      return isCalendarDate(s);
    case 'datetime':
      return RFC3339.test(s);
    case 'uuid':
      return UUID.test(s);
    case 'pattern':
      return f.re.test(s);
    case 'plain':
    case 'string':
    case 'email':
    case 'int':
    case 'bool':
    case 'array':
    case 'object':
    case 'objectArray':
      return true;
  }
}

// ---- hostile strings ------------------------------------------------------------------------

export const INJECTION = [
  "' OR 1=1 --",
  "' OR '1'='1",
  "'; DROP TABLE organizations; --",
  '" OR ""="',
  "1' AND pg_sleep(5)--",
  '$1',
  '${7*7}',
  '{{7*7}}',
  '{{constructor.constructor("return process")()}}',
  '#{7*7}',
  '<%= 7*7 %>',
  '{{#each this}}{{/each}}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  '\\u0000',
  '{"$gt":""}',
  'null',
  'undefined',
  'NaN',
  '__proto__',
  'constructor',
  'prototype',
  '\r\nSet-Cookie: x=1',
  '=cmd|" /C calc"!A0',
];
export const UNICODE_TRICKY = [
  '１２３４５６', // full-width digits (NFKC: 123456)
  '２０２６-０１-０１',
  '２７１００４',
  'ａｄｍｉｎ',
  'ｍｕｎｉｃｉｐａｌｉｔｙ',
  'ＭＵＮＩＣＩＰＡＬＩＴＹ',
  'ministry\u200b',
  '\u202eevil\u202c',
  'a\u200bb',
  '\u200d',
  '\ufeffx',
  'e\u0301',
  'İ',
  'ß',
  'ﬁ',
  '\ud800',
  '\udfff',
  '\uffff',
  '𝟙𝟚𝟛',
  '\u2028',
  '\u00a0',
  'ｱｲｳｴｵ',
  '法務\u3000太郎',
  '\u0000',
  'a\u0000b',
  '\u001b[31mred',
  '\u0007',
  '\u007f',
];
const forbiddenChar = fc.oneof(
  fc
    .integer({ min: 0, max: 0x1f })
    .filter((c) => c !== 0x09 && c !== 0x0a && c !== 0x0d)
    .map((c) => String.fromCharCode(c)),
  fc.constantFrom(
    '\u007f',
    '\u202a',
    '\u202b',
    '\u202c',
    '\u202d',
    '\u202e',
    '\u2066',
    '\u2067',
    '\u2068',
    '\u2069',
    '\u200e',
    '\u200f',
  ),
);
const anyControl = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));

/** Hostile text of every sort; may or may not be acceptable to a given field. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...INJECTION),
  fc.constantFrom(...UNICODE_TRICKY),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 24 }),
  fc
    .tuple(fc.string({ maxLength: 8 }), anyControl, fc.string({ maxLength: 8 }))
    .map(([a, c, b]) => a + c + b),
  fc.tuple(fc.constantFrom(...INJECTION), fc.constantFrom(...UNICODE_TRICKY)).map(([a, b]) => a + b),
);

/** A string with a character @IsPlainText refuses in the middle (trimming cannot remove it). */
export const plainTextBreaker: fc.Arbitrary<string> = fc
  .tuple(
    fc.string({ unit: 'grapheme', maxLength: 10 }),
    forbiddenChar,
    fc.string({ unit: 'grapheme', maxLength: 10 }),
  )
  .map(([a, c, b]) => `x${a}${c}${b}x`);

/** Longer than `max` after NFKC and trimming (characters NFKC does not shrink). */
export const oversized = (max: number) =>
  fc
    .tuple(fc.integer({ min: max + 1, max: max + 2500 }), fc.constantFrom('x', '法', 'ア', '0', "'"))
    .map(([n, c]) => c.repeat(n));

// ---- wrongly typed values -------------------------------------------------------------------

const smallJson = fc.jsonValue({ maxDepth: 2 });
const deep = fc
  .tuple(
    fc.oneof(fc.integer({ min: 50, max: 2000 }), fc.integer({ min: 2000, max: 8000 })),
    fc.constantFrom('array', 'object') as fc.Arbitrary<'array' | 'object'>,
  )
  .map(([d, k]) => deepNested(d, k));
const notStringValue = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant({}),
  fc.constant([]),
  fc.array(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { minKeys: 1, maxKeys: 3 }),
);
const notObjectValue = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.boolean(),
  fc.constant([]),
  fc.array(fc.constant({}), { minLength: 1, maxLength: 2 }),
  fc.array(smallJson, { minLength: 1, maxLength: 3 }),
);
const notArrayValue = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.boolean(),
  fc.constant({}),
  fc.dictionary(fc.string({ maxLength: 4 }), smallJson, { minKeys: 1, maxKeys: 3 }),
);
const notIntValue = fc.oneof(
  fc.integer({ min: 1, max: 99 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
  fc.boolean(),
  fc.constant({}),
  fc.constant([]),
  fc.constant([1]),
);
const notBoolValue = fc.oneof(
  fc.constantFrom('true', 'false', '1', '', 'yes'),
  fc.integer({ min: 0, max: 1 }),
  fc.constant({}),
  fc.constant([]),
  fc.constant([true]),
);

/** A value of the wrong JSON type for the field (never null: optional fields accept null). */
export function wrongType(f: Field): fc.Arbitrary<unknown> {
  switch (f.k) {
    case 'object':
      return notObjectValue;
    case 'array':
    case 'objectArray':
      return fc.oneof(notArrayValue, badElements(f));
    case 'int':
      return notIntValue;
    case 'bool':
      return notBoolValue;
    case 'plain':
    case 'string':
    case 'enum':
    case 'date':
    case 'datetime':
    case 'uuid':
    case 'pattern':
    case 'email':
      return notStringValue;
  }
}

/** An array whose elements break the element rule (or the count, or uniqueness). */
function badElements(f: Extract<Field, { k: 'array' | 'objectArray' }>): fc.Arbitrary<unknown> {
  const options: fc.Arbitrary<unknown>[] = [];
  if (f.k === 'objectArray') {
    options.push(
      fc.array(
        fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant([]), fc.constant([{}]), fc.boolean()),
        { minLength: 1, maxLength: 3 },
      ),
    );
  } else {
    options.push(fc.array(wrongType(f.of), { minLength: 1, maxLength: 3 }));
    if (f.of.k === 'enum') {
      const values = f.of.values;
      options.push(
        fc.array(
          hostileString.filter((s) => !values.includes(s)),
          { minLength: 1, maxLength: 3 },
        ),
      );
      if (f.unique && values.length) options.push(fc.constantFrom(...values).map((v) => [v, v]));
    }
    if (f.of.k === 'string' || f.of.k === 'plain')
      options.push(fc.array(oversized(f.of.max), { minLength: 1, maxLength: 2 }));
  }
  if (f.maxItems !== undefined)
    options.push(
      fc.constant(Array.from({ length: f.maxItems + 1 }, () => (f.k === 'objectArray' ? {} : 'x'))),
    );
  return fc.oneof(...options);
}

/** A string that the field's format rule refuses (hostile text, look-alikes, impossible dates). */
export function badFormat(f: Field): fc.Arbitrary<unknown> | undefined {
  const candidates: fc.Arbitrary<string>[] = [hostileString];
  switch (f.k) {
    case 'enum':
      candidates.push(
        fc.constantFrom(...f.values).chain((v) =>
          fc.constantFrom(
            v.toUpperCase(),
            ` ${v}`,
            `${v}\u200b`,
            `${v}\u0000`,
            v.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)),
          ),
        ),
      );
      break;
    case 'date':
      candidates.push(
        fc.constantFrom(
          '2026-02-30',
          '2026-13-01',
          '2026-00-10',
          '1899-12-31',
          '2026-1-1',
          '２０２６-０１-０１',
          '2026-01-01T00:00:00Z',
          '+002026-01-01',
          '2026/01/01',
          '0000-00-00',
        ),
      );
      break;
    case 'datetime':
      candidates.push(
        fc.constantFrom(
          '2026-01-01',
          '2026-01-01T00:00:00',
          '2026-01-01 00:00:00Z',
          'tomorrow',
          '２０２６-０１-０１T００:００:００Z',
          '2026-01-01T00:00:00.1234567Z',
        ),
      );
      break;
    case 'uuid':
      candidates.push(
        fc
          .uuid()
          .chain((u) =>
            fc.constantFrom(
              `${u}x`,
              u.slice(1),
              u.replace(/-/g, ''),
              `{${u}}`,
              u.replace(/[0-9]/, '１'),
              `${u}\u0000`,
              ` ${u}`,
            ),
          ),
        fc.constantFrom('00000000-0000-0000-0000-00000000000g', 'not-a-uuid', "' OR 1=1 --"),
      );
      break;
    case 'pattern':
      candidates.push(fc.constantFrom('１２３４５６', '12345', '1234567', 'R-ABCDEFGHI', 'r-abcdefghij', ''));
      break;
    case 'int':
      return fc.oneof(
        fc.integer({ min: -1_000_000, max: f.min - 1 }),
        fc.integer({ min: f.max + 1, max: 2_000_000_000 }),
      );
    case 'plain':
    case 'string':
    case 'email':
    case 'bool':
    case 'array':
    case 'object':
    case 'objectArray':
      return undefined;
  }
  return fc.oneof(...candidates).filter((s) => !formatAccepts(f, s));
}

// ---- mutations of a valid body ----------------------------------------------------------------

export type MutationClass =
  | 'unknown-field'
  | 'wrong-type'
  | 'oversized'
  | 'control-chars'
  | 'bad-format'
  | 'missing-field'
  | 'deep-nesting';
export const MUTATION_CLASSES: MutationClass[] = [
  'unknown-field',
  'wrong-type',
  'oversized',
  'control-chars',
  'bad-format',
  'missing-field',
  'deep-nesting',
];

interface Located {
  path: string[];
  field: Field;
}

/** Every field present in `body`, depth first (array elements of objects by index). */
function present(schema: Schema, body: Record<string, unknown>, prefix: string[] = []): Located[] {
  const out: Located[] = [];
  for (const [key, field] of Object.entries(schema)) {
    if (!(key in body)) continue;
    const path = [...prefix, key];
    out.push({ path, field });
    const value = body[key];
    if (field.k === 'object' && value && typeof value === 'object')
      out.push(...present(field.fields, value as Record<string, unknown>, path));
    if (field.k === 'objectArray' && Array.isArray(value))
      value.forEach(
        (el, i) =>
          el &&
          typeof el === 'object' &&
          out.push(...present(field.fields, el as Record<string, unknown>, [...path, String(i)])),
      );
  }
  return out;
}

/** Objects in `body` that the schema describes (where an unknown key can go), with their known keys. */
function objects(
  schema: Schema,
  body: Record<string, unknown>,
  prefix: string[] = [],
): { path: string[]; known: string[] }[] {
  const out = [{ path: prefix, known: Object.keys(schema) }];
  for (const [key, field] of Object.entries(schema)) {
    const value = body[key];
    if (field.k === 'object' && value && typeof value === 'object' && !Array.isArray(value))
      out.push(...objects(field.fields, value as Record<string, unknown>, [...prefix, key]));
    if (field.k === 'objectArray' && Array.isArray(value) && value[0])
      out.push(...objects(field.fields, value[0] as Record<string, unknown>, [...prefix, key, '0']));
  }
  return out;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function at(body: Record<string, unknown>, path: string[]): Record<string, unknown> {
  let node: unknown = body;
  for (const k of path) node = (node as Record<string, unknown>)[k];
  return node as Record<string, unknown>;
}

function setAt(body: Record<string, unknown>, path: string[], value: unknown): void {
  defineKey(at(body, path.slice(0, -1)), path[path.length - 1]!, value);
}

const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype'];
/** Values that would pollute Object.prototype if merged naively; the marker is checked after the run. */
export const POLLUTION_MARKER = 'oiePolluted';
const pollutionValue = fc
  .constantFrom(
    '{"M":"yes"}',
    '{"prototype":{"M":"yes"}}',
    '{"constructor":{"prototype":{"M":"yes"}}}',
    '{"__proto__":{"M":"yes"}}',
    '[{"__proto__":{"M":"yes"}}]',
  )
  .map((t) => new RawJson(t.replace('"M"', JSON.stringify(POLLUTION_MARKER))));

/** A mutated body with a description (fast-check prints the description, not 40 kB of JSON). */
export interface BodyCase {
  what: string;
  json: string;
}
const describe = (what: string, json: string): BodyCase =>
  ({
    what,
    json,
    [fc.toStringMethod]: () =>
      `${what} :: ${json.length > 300 ? `${json.slice(0, 300)}… (${json.length} chars)` : json}`,
  }) as BodyCase;

/**
 * One class of certainly-invalid bodies made from a valid one, or undefined when the class does
 * not apply to this schema (no required field, no plain-text field …).
 */
export function mutatedBodies(
  schema: Schema,
  base: Record<string, unknown>,
  cls: MutationClass,
): fc.Arbitrary<BodyCase> | undefined {
  const fields = present(schema, base);
  const pick = (pred: (f: Field) => boolean) => fields.filter((l) => pred(l.field));
  const apply = (what: string, path: string[], value: unknown) => {
    const body = clone(base);
    setAt(body, path, value);
    return describe(`${what} ${path.join('.')}`, toJson(body));
  };
  switch (cls) {
    case 'unknown-field': {
      const where = objects(schema, base);
      return fc
        .tuple(
          fc.constantFrom(...where),
          fc.oneof(
            fc.constantFrom(...POLLUTION_KEYS),
            fc.string({ minLength: 1, maxLength: 12 }),
            fc.constantFrom(...INJECTION),
          ),
          fc.oneof(smallJson, pollutionValue),
        )
        .filter(([w, key]) => !w.known.includes(key))
        .map(([w, key, value]) => {
          const body = clone(base);
          defineKey(at(body, w.path), key, value);
          return describe(`unknown field ${[...w.path, key].join('.')}`, toJson(body));
        });
    }
    case 'wrong-type': {
      if (!fields.length) return undefined;
      return fc
        .constantFrom(...fields)
        .chain((l) => wrongType(l.field).map((v) => apply('wrong type', l.path, v)));
    }
    case 'oversized': {
      const strings = pick((f) => f.k === 'plain' || f.k === 'string');
      if (!strings.length) return undefined;
      return fc
        .constantFrom(...strings)
        .chain((l) => oversized((l.field as { max: number }).max).map((v) => apply('oversized', l.path, v)));
    }
    case 'control-chars': {
      const plain = pick((f) => f.k === 'plain');
      if (!plain.length) return undefined;
      return fc
        .constantFrom(...plain)
        .chain((l) => plainTextBreaker.map((v) => apply('control character in', l.path, v)));
    }
    case 'bad-format': {
      const formatted = fields.filter((l) => badFormat(l.field));
      if (!formatted.length) return undefined;
      return fc
        .constantFrom(...formatted)
        .chain((l) => badFormat(l.field)!.map((v) => apply('bad format', l.path, v)));
    }
    case 'deep-nesting': {
      // Deeply nested arrays or objects in place of a field, or under an unknown key (valid JSON).
      const where = objects(schema, base);
      return fc.oneof(
        fields.length
          ? fc.tuple(fc.constantFrom(...fields), deep).map(([l, v]) => apply('deeply nested', l.path, v))
          : fc.constant(undefined).chain(() => deep.map((v) => apply('deeply nested', ['x'], v))),
        fc
          .tuple(fc.constantFrom(...where), deep)
          .map(([w, v]) => apply('deeply nested unknown', [...w.path, 'nested'], v)),
      );
    }
    case 'missing-field': {
      const required = pick((f) => f.req === true);
      if (!required.length) return undefined;
      return fc.constantFrom(...required).map((l) => {
        const body = clone(base);
        delete at(body, l.path.slice(0, -1))[l.path[l.path.length - 1]!];
        return describe(`missing ${l.path.join('.')}`, toJson(body));
      });
    }
  }
}

// ---- malformed request bodies (refused by the body parser, before authentication) -------------

export interface RawBody {
  what: string;
  contentType: string;
  body: string;
  /** The statuses the parser may answer with. */
  status: number[];
}
const rawCase = (what: string, contentType: string, body: string, status: number[]): RawBody =>
  ({
    what,
    contentType,
    body,
    status,
    [fc.toStringMethod]: () =>
      `${what} :: ${contentType} :: ${body.length > 200 ? `${body.slice(0, 200)}… (${body.length} chars)` : body}`,
  }) as RawBody;

/** JSON that does not parse, bodies of the wrong type, and bodies over the limit. */
export function malformedBodies(validJson: string): fc.Arbitrary<RawBody> {
  const json = 'application/json';
  return fc.oneof(
    {
      arbitrary: fc
        .integer({ min: 1, max: Math.max(1, validJson.length - 1) })
        .map((n) => rawCase('truncated JSON', json, validJson.slice(0, n), [400])),
      weight: 4,
    },
    {
      arbitrary: fc
        .constantFrom('}', ']', ',', 'x', '\u0000', "'", '/*', '{')
        .map((g) => rawCase('trailing garbage', json, validJson + g, [400])),
      weight: 2,
    },
    {
      arbitrary: fc
        .constantFrom(
          "{'kind':'ministry'}",
          '{kind:"ministry"}',
          '{"a":NaN}',
          '{"a":Infinity}',
          '{"a":undefined}',
          '{"a":1,}',
          '{"a" 1}',
          '{"a":01}',
          '{"a":"\\x41"}',
          '{"a":"\\u12"}',
          '{"a":"\u0001"}',
          '{"a":1}{"b":2}',
          '// comment\n{}',
          'null',
          '1',
          '"string"',
          'true',
          'a=1&b=2',
          '<xml/>',
          '\ufeff\ufeff{}',
        )
        .map((b) => rawCase('malformed JSON', json, b, [400])),
      weight: 4,
    },
    {
      arbitrary: fc
        .constantFrom(
          'text/plain',
          'application/xml',
          'text/html',
          'multipart/form-data; boundary=x',
          'application/octet-stream',
          'application/json; charset=latin1',
          'application/x-www-form-urlencoded-x',
        )
        .map((ct) => rawCase('wrong media type', ct, validJson, [415])),
      weight: 3,
    },
    // UTF-8 text declared as UTF-16 decodes to garbage: unreadable (400) or refused charset (415).
    {
      arbitrary: fc
        .constantFrom(
          'application/json; charset=utf-16',
          'application/json; charset=utf-16le',
          'application/json; charset=utf-32',
        )
        .map((ct) => rawCase('wrong charset', ct, validJson, [400, 415])),
      weight: 1,
    },
    {
      arbitrary: fc
        .integer({ min: 262_145, max: 270_000 })
        .map((n) => rawCase('over the body limit', json, `{"a":"${'x'.repeat(n)}"}`, [413])),
      weight: 1,
    },
  );
}

// ---- query strings ----------------------------------------------------------------------------

export interface QueryCase {
  what: string;
  query: string;
}
/** Lone surrogates replaced (they cannot be percent-encoded). */
export const wellFormed = (s: string) =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
const queryCase = (what: string, pairs: [string, string][]): QueryCase =>
  ({
    what,
    query: pairs
      .map(([k, v]) => `${encodeURIComponent(wellFormed(k))}=${encodeURIComponent(wellFormed(v))}`)
      .join('&'),
    [fc.toStringMethod]: () =>
      `${what} :: ?${pairs
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join('&')
        .slice(0, 300)}`,
  }) as QueryCase;

/** Query parameters as the DTO sees them (every value arrives as a string). */
export type QueryField =
  | { k: 'enum'; values: readonly string[] }
  | { k: 'uuid' }
  | { k: 'pattern'; re: RegExp }
  | { k: 'intString'; min: number; max: number }
  | { k: 'free'; max: number }
  | { k: 'time' };
export type QuerySchema = Record<string, QueryField>;
export const TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2}))?$/;

function queryAccepts(f: QueryField, s: string): boolean {
  switch (f.k) {
    case 'enum':
      return f.values.includes(s);
    case 'uuid':
      return UUID.test(s);
    case 'pattern':
      return f.re.test(s);
    case 'intString':
      return /^\d+$/.test(s) && Number(s) >= f.min && Number(s) <= f.max;
    case 'free':
      return s.length <= f.max;
    case 'time':
      return TIME.test(s);
  }
}

/** A time that matches the accepted shape but names no instant (month 13, 30 February, hour 25). */
export const impossibleTime = fc.constantFrom(
  '2026-13-01',
  '2026-02-30',
  '2026-00-00',
  '9999-99-99',
  '2026-01-01T25:00:00Z',
  '2026-01-01T23:61:00Z',
  '2026-04-31T00:00:00+09:00',
  '2026-01-01T00:00:00+99:99',
);

/** Certainly-invalid query strings: an unknown parameter, a value its rule refuses, a repeated parameter. */
export function badQueries(schema: QuerySchema, base: [string, string][] = []): fc.Arbitrary<QueryCase> {
  const keys = Object.keys(schema);
  const options: fc.Arbitrary<QueryCase>[] = [
    fc
      .tuple(
        fc.oneof(
          fc.constantFrom(...POLLUTION_KEYS, '__proto__[x]', 'constructor[prototype][x]', 'a[]'),
          fc.string({ minLength: 1, maxLength: 10 }),
        ),
        hostileString,
      )
      .filter(([k]) => !keys.includes(k))
      .map(([k, v]) => queryCase(`unknown parameter ${k}`, [...base, [k, v]])),
  ];
  if (keys.length) {
    options.push(
      fc
        .constantFrom(...keys)
        .chain((k) => {
          const f = schema[k]!;
          const extra =
            f.k === 'intString'
              ? fc.constantFrom(
                  '0',
                  '-1',
                  String(f.max + 1),
                  '1.5',
                  '１',
                  '1e3',
                  ' 1',
                  '0x10',
                  '99999999999999999999999',
                )
              : f.k === 'time'
                ? impossibleTime
                : f.k === 'free'
                  ? // (kept short of Node's 16 kB header limit, which answers 431 before the application)
                    fc.integer({ min: f.max + 1, max: f.max + 400 }).map((n) => 'x'.repeat(n))
                  : hostileString;
          return fc
            .oneof(hostileString, extra)
            .filter((v) => !queryAccepts(f, v) || (f.k === 'time' && !isRealTime(v)))
            .map((v) => [k, v] as const);
        })
        .map(([k, v]) => queryCase(`bad ${k}`, [...base.filter(([b]) => b !== k), [k, v]])),
      fc
        .constantFrom(...keys)
        .map((k) =>
          queryCase(`repeated ${k}`, [
            ...base.filter(([b]) => b !== k),
            [k, sampleValue(schema[k]!)],
            [k, sampleValue(schema[k]!)],
          ]),
        ),
    );
  }
  return fc.oneof(...options);
}

function isRealTime(v: string): boolean {
  if (!TIME.test(v)) return false;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return false;
  const [y, m, day] = v.slice(0, 10).split('-').map(Number) as [number, number, number];
  const probe = new Date(Date.UTC(y, m - 1, day));
  if (probe.getUTCMonth() !== m - 1 || probe.getUTCDate() !== day) return false;
  const t = /T(\d{2}):(\d{2}):(\d{2})/.exec(v);
  if (t && (Number(t[1]) > 23 || Number(t[2]) > 59 || Number(t[3]) > 59)) return false;
  const off = /([+-])(\d{2}):(\d{2})$/.exec(v);
  return !off || (Number(off[2]) <= 23 && Number(off[3]) <= 59);
}

function sampleValue(f: QueryField): string {
  switch (f.k) {
    case 'enum':
      return f.values[0]!;
    case 'uuid':
      return '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    case 'intString':
      return String(f.min);
    case 'time':
      return '2026-01-01';
    case 'pattern':
    case 'free':
      return 'x';
  }
}

// ---- path parameters --------------------------------------------------------------------------

/** Path segments that are certainly not UUIDs (never empty, which would name another route). */
export const notUuid: fc.Arbitrary<string> = fc
  .oneof(
    badFormat({ k: 'uuid' }) as fc.Arbitrary<string>,
    hostileString,
    fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
    fc.constantFrom('..', '.', '%', '%00', '\u0000'),
  )
  .filter((s) => s.length > 0 && !UUID.test(s) && s !== '.' && s !== '..');

/** Path segments that are certainly not non-negative decimal integers. */
export const notInteger: fc.Arbitrary<string> = fc
  .oneof(hostileString, fc.constantFrom('1.5', '1e3', '0x10', '１', ' 1', '-', 'NaN', 'Infinity'))
  .filter((s) => s.length > 0 && !/^-?\d+$/.test(s) && s !== '.' && s !== '..');
