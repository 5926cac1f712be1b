/**
 * RFC 8785 canonical JSON written straight from the bytes of PostgreSQL's jsonb text output, for
 * the common shapes only; anything else answers -1 and the caller takes canonicalJson(JSON.parse())
 * — the sealer's own path — instead.
 *
 * jsonb prints `{"k": v, …}` with its keys ordered by length then bytes, `[a, b]`, numbers as
 * numeric_out writes them and strings with escape_json, which escapes exactly what JSON.stringify
 * escapes (\b \f \n \r \t \" \\, other characters below U+0020 as lower-case \u00xx, nothing else;
 * jsonb holds no \u0000 and no lone surrogate). So a string token is already canonical and is copied
 * as it is; the rest is where RFC 8785 differs from jsonb, and is handled here only where provably so:
 *   - whitespace after `:` and `,` is dropped;
 *   - object members are sorted by their keys in UTF-16 code units: only when every key of the object
 *     is printable ASCII without escapes (there, byte order is UTF-16 order), else -1;
 *   - numbers: an integer of at most 15 digits without a leading zero (or `0`) is its own ECMAScript
 *     form; any other number (fraction, more digits, -0) answers -1.
 */

const QUOTE = 0x22,
  BACKSLASH = 0x5c,
  COMMA = 0x2c,
  COLON = 0x3a,
  SPACE = 0x20;

/** Index just after the string token starting at `p` (on its opening quote). */
function skipString(src: Uint8Array, p: number, end: number): number {
  p++;
  while (p < end) {
    const c = src[p]!;
    if (c === BACKSLASH) p += 2;
    else if (c === QUOTE) return p + 1;
    else p++;
  }
  throw new Error('jsonb text: unterminated string');
}

/** Index just after the value starting at `p` (nested structures skipped whole). */
function skipValue(src: Uint8Array, p: number, end: number): number {
  const c = src[p]!;
  if (c === QUOTE) return skipString(src, p, end);
  if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
    let depth = 0;
    while (p < end) {
      const x = src[p]!;
      if (x === QUOTE) {
        p = skipString(src, p, end);
        continue;
      }
      if (x === 0x7b || x === 0x5b) depth++;
      else if (x === 0x7d || x === 0x5d) {
        depth--;
        if (depth === 0) return p + 1;
      }
      p++;
    }
    throw new Error('jsonb text: unterminated structure');
  }
  while (p < end) {
    const x = src[p]!;
    if (x === COMMA || x === 0x7d || x === 0x5d || x === SPACE) break;
    p++;
  }
  return p;
}

/** Compares two key tokens by the bytes between their quotes (a prefix first). */
function compareKeys(src: Uint8Array, a0: number, a1: number, b0: number, b1: number): number {
  a0++;
  a1--;
  b0++;
  b1--;
  const n = Math.min(a1 - a0, b1 - b0);
  for (let i = 0; i < n; i++) {
    const d = src[a0 + i]! - src[b0 + i]!;
    if (d !== 0) return d;
  }
  return a1 - a0 - (b1 - b0);
}

/**
 * Writes the canonical form of the value at src[p…] into out at q. Answers [after value in src,
 * after output] through `pos`, or false when the value needs the general path.
 */
function value(
  src: Uint8Array,
  p: number,
  end: number,
  out: Uint8Array,
  pos: { p: number; q: number },
): boolean {
  let q = pos.q;
  const c = src[p]!;
  if (c === QUOTE) {
    const e = skipString(src, p, end);
    for (let i = p; i < e; i++) out[q++] = src[i]!;
    pos.p = e;
    pos.q = q;
    return true;
  }
  if (c === 0x5b) {
    // [a, b, …]
    out[q++] = 0x5b;
    p++;
    if (src[p] === 0x5d) {
      out[q++] = 0x5d;
      pos.p = p + 1;
      pos.q = q;
      return true;
    }
    for (;;) {
      pos.q = q;
      if (!value(src, p, end, out, pos)) return false;
      p = pos.p;
      q = pos.q;
      const x = src[p];
      if (x === 0x5d) {
        out[q++] = 0x5d;
        pos.p = p + 1;
        pos.q = q;
        return true;
      }
      if (x !== COMMA || src[p + 1] !== SPACE) return false;
      out[q++] = COMMA;
      p += 2;
    }
  }
  if (c === 0x7b) {
    // {"k": v, …}: collect the members, check the keys, sort, write.
    p++;
    if (src[p] === 0x7d) {
      out[q++] = 0x7b;
      out[q++] = 0x7d;
      pos.p = p + 1;
      pos.q = q;
      return true;
    }
    const members: number[] = []; // keyStart, keyEnd, valueStart per member
    for (;;) {
      if (src[p] !== QUOTE) return false;
      const k0 = p;
      const k1 = skipString(src, p, end);
      for (let i = k0 + 1; i < k1 - 1; i++) {
        const x = src[i]!;
        if (x < 0x20 || x > 0x7e || x === BACKSLASH) return false;
      }
      if (src[k1] !== COLON || src[k1 + 1] !== SPACE) return false;
      const v0 = k1 + 2;
      members.push(k0, k1, v0);
      p = skipValue(src, v0, end);
      const x = src[p];
      if (x === 0x7d) {
        p++;
        break;
      }
      if (x !== COMMA || src[p + 1] !== SPACE) return false;
      p += 2;
    }
    const n = members.length / 3;
    // Insertion sort of the member triples by key (objects here are small).
    for (let i = 1; i < n; i++) {
      const k0 = members[i * 3]!,
        k1 = members[i * 3 + 1]!,
        v0 = members[i * 3 + 2]!;
      let j = i - 1;
      while (j >= 0 && compareKeys(src, members[j * 3]!, members[j * 3 + 1]!, k0, k1) > 0) {
        members[j * 3 + 3] = members[j * 3]!;
        members[j * 3 + 4] = members[j * 3 + 1]!;
        members[j * 3 + 5] = members[j * 3 + 2]!;
        j--;
      }
      members[j * 3 + 3] = k0;
      members[j * 3 + 4] = k1;
      members[j * 3 + 5] = v0;
    }
    out[q++] = 0x7b;
    for (let j = 0; j < n; j++) {
      const m = j * 3;
      if (j > 0) out[q++] = COMMA;
      for (let i = members[m]!; i < members[m + 1]!; i++) out[q++] = src[i]!;
      out[q++] = COLON;
      pos.q = q;
      if (!value(src, members[m + 2]!, end, out, pos)) return false;
      q = pos.q;
    }
    out[q++] = 0x7d;
    pos.p = p;
    pos.q = q;
    return true;
  }
  // true, false, null, or a number
  const e = skipValue(src, p, end);
  if (c === 0x74 || c === 0x66 || c === 0x6e) {
    // the literals are their own canonical form
  } else {
    // -?(0|[1-9][0-9]{0,14}) only; not -0
    let i = p;
    if (src[i] === 0x2d) i++;
    const digits = e - i;
    if (digits < 1 || digits > 15) return false;
    if (src[i] === 0x30 && (digits > 1 || i > p)) return false;
    for (let k = i; k < e; k++) {
      const d = src[k]!;
      if (d < 0x30 || d > 0x39) return false;
    }
  }
  for (let i = p; i < e; i++) out[q++] = src[i]!;
  pos.p = e;
  pos.q = q;
  return true;
}

/**
 * Writes canonicalJson(JSON.parse(jsonb text in src[start, end))) into out at `at` and answers where
 * it ends, or -1 when the text is outside the shapes handled here. out needs end - start bytes free.
 */
export function canonicalJsonbText(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  at: number,
): number {
  const pos = { p: start, q: at };
  if (start >= end || !value(src, start, end, out, pos) || pos.p !== end) return -1;
  return pos.q;
}
