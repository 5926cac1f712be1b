#!/usr/bin/env node
// @ts-check
/*
 * verify-audit-log.js: checks an export of the audit log against signed checkpoints, offline.
 *
 * One file, no dependencies: copy it anywhere with Node.js 20 or later and run
 *
 *   node verify-audit-log.js --export events.ndjson --checkpoint latest.note --log-key "<vkey>" \
 *        [--witness "<vkey>" ...] [--quorum N] [--held FILE ...] [--receipt FILE ...]
 *
 * It recomputes every leaf hash from its event (RFC 8785 canonical JSON, RFC 6962 hashing), checks
 * the leaf indexes run 0, 1, 2, … with no gap, verifies the checkpoint (a C2SP signed note) with the
 * log's Ed25519 key, and checks that the checkpoint covers exactly the export's sealed events and
 * that every other note (held, from receipts, from witnesses) is signed by the log, no larger than
 * the log and consistent with it: its root is the root of the first N leaves. With --witness it
 * counts the witnesses' cosignatures (c2sp.org/tlog-cosignature) against --quorum.
 *
 * It prints one `OK: …` or `FAILED: …` line per check and exits 0 (all passed), 1 (a check failed)
 * or 2 (it could not run: bad arguments or unreadable files). The formats are in FORMAT.md next to
 * this file in the service's repository. If the folder you copy it to has a package.json with
 * "type": "module", name the copy verify-audit-log.cjs.
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const { isUtf8 } = require('node:buffer');
const { parseArgs } = require('node:util');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

const WORKER_ROLE = 'verify-audit-log/worker';

// ============================================================================ hashing (RFC 6962)

/** SHA-256 of bytes as a 32-character latin1 ('binary') string: crypto.hash (Node ≥ 20.12) is the fast one-shot form, and a string result costs less than a Buffer. */
const sha256Latin1 =
  typeof crypto.hash === 'function'
    ? /** @param {Uint8Array} data */ (data) => crypto.hash('sha256', data, 'binary')
    : /** @param {Uint8Array} data */ (data) => crypto.createHash('sha256').update(data).digest('binary');

/** SHA-256 of bytes. */
const sha256 = (/** @type {Uint8Array} */ data) => Buffer.from(sha256Latin1(data), 'latin1');

/** MTH of the empty tree: SHA-256 of nothing. */
const EMPTY_ROOT = crypto.createHash('sha256').digest();

const nodeInput = new Uint8Array(65);
nodeInput[0] = 1;

/** Interior node: SHA-256(0x01 ‖ left ‖ right). */
function nodeHash(/** @type {Uint8Array} */ left, /** @type {Uint8Array} */ right) {
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return sha256(nodeInput);
}

/** 0x00 ‖ data: the input of a leaf hash. */
function leafInput(/** @type {Uint8Array | string} */ data) {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const input = new Uint8Array(bytes.length + 1);
  input.set(bytes, 1);
  return input;
}

/** Leaf: SHA-256(0x00 ‖ data). */
function leafHash(/** @type {Uint8Array | string} */ data) {
  return sha256(leafInput(data));
}

/**
 * The right edge of a growing tree: perfect subtrees, biggest first. Appending a node of size 2^k
 * is allowed when the range's size is a multiple of 2^k (a leaf is a node of size 1).
 */
class CompactRange {
  constructor() {
    /** @type {number[]} */ this.sizes = [];
    /** @type {Uint8Array[]} */ this.hashes = [];
    this.size = 0;
  }

  /** @param {number} size @param {Uint8Array} hash */
  append(size, hash) {
    const sizes = this.sizes;
    const hashes = this.hashes;
    this.size += size;
    while (sizes.length > 0 && sizes[sizes.length - 1] === size) {
      sizes.pop();
      hash = nodeHash(/** @type {Uint8Array} */ (hashes.pop()), hash);
      size *= 2;
    }
    sizes.push(size);
    hashes.push(hash);
  }

  clone() {
    const c = new CompactRange();
    c.sizes = this.sizes.slice();
    c.hashes = this.hashes.slice();
    c.size = this.size;
    return c;
  }

  /** MTH(D[0:size]) */
  root() {
    const h = this.hashes;
    if (h.length === 0) return EMPTY_ROOT;
    let acc = h[h.length - 1];
    for (let i = h.length - 2; i >= 0; i--) acc = nodeHash(h[i], acc);
    return Buffer.from(acc);
  }
}

/** MTH over an array of leaf hashes (for small trees and tests). */
function rootOfLeaves(/** @type {Uint8Array[]} */ leaves) {
  const r = new CompactRange();
  for (const l of leaves) r.append(1, l);
  return r.root();
}

// ============================================================================ RFC 8785 canonical JSON

/**
 * RFC 8785 (JCS) for the values JSON.parse yields: strings and numbers as ECMAScript serialises
 * them (JSON.stringify), object members sorted by the UTF-16 code units of their names, no
 * whitespace. Members whose value is undefined are left out, as JSON.stringify does.
 * @param {unknown} v
 * @returns {string}
 */
function canonicalJson(v) {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('RFC 8785 has no form for NaN or Infinity');
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) s += ',';
      const x = v[i];
      s += x === undefined ? 'null' : canonicalJson(x);
    }
    return s + ']';
  }
  const o = /** @type {Record<string, unknown>} */ (v);
  const keys = Object.keys(o).sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    const x = o[k];
    if (x === undefined) continue;
    if (!first) s += ',';
    first = false;
    s += JSON.stringify(k) + ':' + canonicalJson(x);
  }
  return s + '}';
}

// ============================================================================ the leaf

/** The members of a leaf, as the service hashes them (leaf.ts, LeafEvent). */
const LEAF_MEMBERS = ['leafIndex', 'id', 'occurredAt', 'actorType', 'actorId', 'organizationId', 'action', 'resourceType', 'resourceId', 'recordId', 'outcome', 'reasonCode', 'requestId', 'sourceIp', 'details'];
/** The members of an exported event, in the order the export writes them (toEventView). */
const EXPORT_MEMBERS = ['id', 'occurredAt', 'actorType', 'actorId', 'organizationId', 'action', 'resourceType', 'resourceId', 'recordId', 'outcome', 'reasonCode', 'requestId', 'sourceIp', 'details', 'leafIndex', 'leafHash'];
const SLOT_DETAILS = EXPORT_MEMBERS.indexOf('details');
const SLOT_INDEX = EXPORT_MEMBERS.indexOf('leafIndex');
const SLOT_HASH = EXPORT_MEMBERS.indexOf('leafHash');

/**
 * The leaf object of an exported event: exactly the leaf members, `details` null when absent.
 * @param {Record<string, unknown>} e
 * @param {number} leafIndex
 */
function leafObject(e, leafIndex) {
  /** @type {Record<string, unknown>} */
  const o = {};
  for (const m of LEAF_MEMBERS) o[m] = e[m];
  o.leafIndex = leafIndex;
  o.details = e.details ?? null;
  return o;
}

/** The canonical JSON of an exported event at a leaf index, as UTF-8 bytes. */
function leafBytes(/** @type {Record<string, unknown>} */ e, /** @type {number} */ leafIndex) {
  return Buffer.from(canonicalJson(leafObject(e, leafIndex)), 'utf8');
}

// ============================================================================ fast path: bytes to canonical bytes
//
// The export writes every event with JSON.stringify in one fixed member order. For such a line the
// canonical JSON is the same value texts in sorted member order, once `details` is re-sorted. The
// fast path below works on the bytes and takes a line only when every value is already in the
// form RFC 8785 gives it (strings without escapes or control characters, valid UTF-8, integers of
// at most 15 digits, no whitespace, object names in ASCII without duplicates); any other line goes
// through JSON.parse and canonicalJson. Both give the same bytes (the unit tests check this).

const SORTED_MEMBERS = LEAF_MEMBERS.slice().sort();
/** For each sorted leaf member: its slot in the export's member order. */
const SORTED_SLOTS = SORTED_MEMBERS.map((m) => EXPORT_MEMBERS.indexOf(m));
/** `{"action":`, `,"actorId":`, …: what precedes each value in the canonical leaf. */
const CANON_KEYS = SORTED_MEMBERS.map((m, i) => Buffer.from((i === 0 ? '{' : ',') + JSON.stringify(m) + ':', 'latin1'));
/** `{"id":`, `,"occurredAt":`, …: what precedes each value in an exported NDJSON line. */
const NDJSON_KEYS = EXPORT_MEMBERS.map((m, i) => Buffer.from((i === 0 ? '{' : ',') + JSON.stringify(m) + ':', 'latin1'));
const B64 = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1');

/** Where the fast path writes 0x00 ‖ canonical JSON (the exact input of the leaf hash); grows as needed. */
let out = new Uint8Array(1 << 16);
/** out.subarray(0, n) by n, so hashing a leaf input allocates no view. */
let outViews = /** @type {Uint8Array[]} */ ([]);
/** The first n bytes of out. */
function outView(/** @type {number} */ n) {
  let v = outViews[n];
  if (v === undefined || v.buffer !== out.buffer) {
    if (outViews.length > 0 && outViews.some((x) => x && x.buffer !== out.buffer)) outViews = [];
    v = outViews[n] = out.subarray(0, n);
  }
  return v;
}
/** Value boundaries of the current event, by export slot, and how to write each: 0 as it is, 1 in quotes (a CSV cell), 2 null. */
const vs = new Int32Array(16);
const ve = new Int32Array(16);
const vk = new Uint8Array(16);
/** Set by the scanners when a string holds a byte ≥ 0x80 (the record is then checked for valid UTF-8). */
let sawHigh = false;
/** Bytes inside a JSON string: 0 plain, 1 the closing quote, 2 not in canonical form (\ or a control character), 3 non-ASCII. */
const STRING_BYTE = new Uint8Array(256);
for (let c = 0; c < 256; c++) STRING_BYTE[c] = c === 0x22 ? 1 : c === 0x5c || c < 0x20 ? 2 : c >= 0x80 ? 3 : 0;

/** @param {Uint8Array} b @param {number} p @param {number} end */
function isNullAt(b, p, end) {
  return p + 4 <= end && b[p] === 0x6e && b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c;
}

/** A JSON string whose text is its canonical form; answers the index after its closing quote, or -1. */
function scanString(/** @type {Uint8Array} */ b, /** @type {number} */ p, /** @type {number} */ end) {
  p++;
  while (p < end) {
    const k = STRING_BYTE[b[p]];
    if (k !== 0) {
      if (k === 1) return p + 1;
      if (k === 2) return -1;
      sawHigh = true;
    }
    p++;
  }
  return -1;
}

/** An object member name: as scanString, ASCII only (so byte order is UTF-16 order). */
function scanName(/** @type {Uint8Array} */ b, /** @type {number} */ p, /** @type {number} */ end) {
  p++;
  while (p < end) {
    const k = STRING_BYTE[b[p]];
    if (k !== 0) return k === 1 ? p + 1 : -1;
    p++;
  }
  return -1;
}

/** An integer in canonical form (no sign on zero, at most 15 digits); answers the index after it, or -1. */
function scanInteger(/** @type {Uint8Array} */ b, /** @type {number} */ p, /** @type {number} */ end) {
  const negative = b[p] === 0x2d;
  if (negative) {
    p++;
    if (p >= end || b[p] < 0x31 || b[p] > 0x39) return -1;
  }
  const first = p;
  if (p < end && b[p] === 0x30) p++;
  else while (p < end && b[p] >= 0x30 && b[p] <= 0x39) p++;
  if (p === first || p - first > 15) return -1;
  if (p < end) {
    const c = b[p];
    if ((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45) return -1;
  }
  return p;
}

/** Skips one JSON value whose scalars are in canonical form and which has no whitespace; answers the index after it, or -1. */
function skipValue(/** @type {Uint8Array} */ b, /** @type {number} */ p, /** @type {number} */ end, /** @type {number} */ depth) {
  if (p >= end) return -1;
  const c = b[p];
  if (c === 0x22) return scanString(b, p, end);
  if (c === 0x7b || c === 0x5b) {
    if (depth > 64) return -1;
    const close = c === 0x7b ? 0x7d : 0x5d;
    p++;
    if (p < end && b[p] === close) return p + 1;
    for (;;) {
      if (c === 0x7b) {
        if (p >= end || b[p] !== 0x22) return -1;
        p = scanName(b, p, end);
        if (p < 0 || p >= end || b[p] !== 0x3a) return -1;
        p++;
      }
      p = skipValue(b, p, end, depth + 1);
      if (p < 0 || p >= end) return -1;
      if (b[p] === 0x2c) p++;
      else if (b[p] === close) return p + 1;
      else return -1;
    }
  }
  if (c === 0x74) return p + 4 <= end && b[p + 1] === 0x72 && b[p + 2] === 0x75 && b[p + 3] === 0x65 ? p + 4 : -1;
  if (c === 0x66) return p + 5 <= end && b[p + 1] === 0x61 && b[p + 2] === 0x6c && b[p + 3] === 0x73 && b[p + 4] === 0x65 ? p + 5 : -1;
  if (c === 0x6e) return isNullAt(b, p, end) ? p + 4 : -1;
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return scanInteger(b, p, end);
  return -1;
}

/** Compares two quoted ASCII names by their bytes (UTF-16 order for ASCII). */
function compareNames(/** @type {Uint8Array} */ b, /** @type {number} */ a0, /** @type {number} */ a1, /** @type {number} */ b0, /** @type {number} */ b1) {
  const la = a1 - a0;
  const lb = b1 - b0;
  const n = la < lb ? la : lb;
  for (let i = 1; i < n - 1; i++) {
    const d = b[a0 + i] - b[b0 + i];
    if (d !== 0) return d;
  }
  return la - lb;
}

/**
 * Writes into o at q the canonical form of the value at b[p..end), already checked by skipValue:
 * objects get their members sorted. Answers the new end in o, or -1 for a duplicate member name
 * (JSON.parse would keep the last one; the slow path handles that).
 * @param {Uint8Array} b @param {number} p @param {number} end @param {Uint8Array} o @param {number} q
 * @returns {number}
 */
function emitValue(b, p, end, o, q) {
  const c = b[p];
  if (c === 0x7b) {
    /** @type {number[]} */
    const m = []; // per member: name start, name end, value start, value end
    p++;
    if (b[p] !== 0x7d) {
      for (;;) {
        const ns = p;
        p = scanName(b, p, end);
        const ne = p;
        p++;
        const vstart = p;
        p = skipValue(b, p, end, 0);
        m.push(ns, ne, vstart, p);
        if (b[p] === 0x2c) p++;
        else break;
      }
    }
    const n = m.length >> 2;
    for (let i = 1; i < n; i++) {
      for (let j = i; j > 0; j--) {
        const d = compareNames(b, m[(j - 1) * 4], m[(j - 1) * 4 + 1], m[j * 4], m[j * 4 + 1]);
        if (d === 0) return -1;
        if (d < 0) break;
        for (let k = 0; k < 4; k++) {
          const t = m[j * 4 + k];
          m[j * 4 + k] = m[(j - 1) * 4 + k];
          m[(j - 1) * 4 + k] = t;
        }
      }
    }
    o[q++] = 0x7b;
    for (let i = 0; i < n; i++) {
      if (i > 0) o[q++] = 0x2c;
      for (let j = m[i * 4], e = m[i * 4 + 1]; j < e; j++) o[q++] = b[j];
      o[q++] = 0x3a;
      q = emitValue(b, m[i * 4 + 2], m[i * 4 + 3], o, q);
      if (q < 0) return -1;
    }
    o[q++] = 0x7d;
    return q;
  }
  if (c === 0x5b) {
    o[q++] = 0x5b;
    p++;
    if (b[p] !== 0x5d) {
      for (;;) {
        const vstart = p;
        p = skipValue(b, p, end, 0);
        q = emitValue(b, vstart, p, o, q);
        if (q < 0) return -1;
        if (b[p] !== 0x2c) break;
        o[q++] = 0x2c;
        p++;
      }
    }
    o[q++] = 0x5d;
    return q;
  }
  for (let j = p; j < end; j++) o[q++] = b[j];
  return q;
}

/**
 * Writes 0x00 ‖ the canonical JSON of the CSV record whose values vs/ve/vk locate in `b` (record
 * length `len`), at leaf index `index`, into `out`; `details` is db[ds..de) (ds === de: null).
 * Answers the length written, or -1 when the fast path cannot take it. (NDJSON lines go through
 * emitNdjsonLeaf.)
 * @param {Uint8Array} b @param {number} len @param {number} index @param {Uint8Array} db @param {number} ds @param {number} de
 */
function emitLeaf(b, len, index, db, ds, de) {
  const need = len + (de - ds) + 1024; // the names (about 200 bytes) and nulls are not in a CSV record
  if (out.length < need) out = new Uint8Array(need * 2);
  const o = out;
  let q = 0;
  o[q++] = 0;
  for (let i = 0; i < 15; i++) {
    const key = CANON_KEYS[i];
    for (let k = 0; k < key.length; k++) o[q++] = key[k];
    const slot = SORTED_SLOTS[i];
    if (slot === SLOT_INDEX) {
      if (index === 0) o[q++] = 0x30;
      else {
        let digits = 0;
        for (let n = index; n > 0; n = Math.floor(n / 10)) digits++;
        q += digits;
        for (let n = index, j = q - 1; n > 0; n = Math.floor(n / 10), j--) o[j] = 0x30 + (n % 10);
      }
    } else if (slot === SLOT_DETAILS) {
      if (ds === de) q = writeNull(o, q);
      else {
        q = emitValue(db, ds, de, o, q);
        if (q < 0) return -1;
      }
    } else {
      const kind = vk[slot];
      if (kind === 2) q = writeNull(o, q);
      else {
        if (kind === 1) o[q++] = 0x22;
        for (let j = vs[slot], e = ve[slot]; j < e; j++) o[q++] = b[j];
        if (kind === 1) o[q++] = 0x22;
      }
    }
  }
  o[q++] = 0x7d;
  return q;
}

/**
 * emitLeaf for an NDJSON line b[p..end) scanned by scanNdjsonLine. Each canonical member
 * `,"name":value` is byte for byte the line's, so the line is staged once after the output and
 * the members are block-copied (copyWithin) in sorted order; only `details` is rewritten.
 * @param {Uint8Array} b @param {number} p @param {number} end @param {number} index
 */
function emitNdjsonLeaf(b, p, end, index) {
  const len = end - p;
  const stage = len + 64;
  if (out.length < stage + len) out = new Uint8Array((stage + len) * 2);
  const o = out;
  o.set(b.subarray(p, end), stage);
  const shift = stage - p;
  let q = 0;
  o[q++] = 0;
  for (let i = 0; i < 15; i++) {
    const slot = SORTED_SLOTS[i];
    o[q++] = i === 0 ? 0x7b : 0x2c;
    const from = vs[slot] - NDJSON_KEYS[slot].length + 1; // after the line's own { or ,
    if (slot === SLOT_INDEX) {
      o.copyWithin(q, from + shift, vs[slot] + shift);
      q += vs[slot] - from;
      if (index === 0) o[q++] = 0x30;
      else {
        let digits = 0;
        for (let n = index; n > 0; n = Math.floor(n / 10)) digits++;
        q += digits;
        for (let n = index, j = q - 1; n > 0; n = Math.floor(n / 10), j--) o[j] = 0x30 + (n % 10);
      }
    } else if (slot === SLOT_DETAILS && b[vs[slot]] !== 0x6e) {
      o.copyWithin(q, from + shift, vs[slot] + shift);
      q += vs[slot] - from;
      q = emitValue(b, vs[slot], ve[slot], o, q);
      if (q < 0) return -1;
    } else {
      o.copyWithin(q, from + shift, ve[slot] + shift);
      q += ve[slot] - from;
    }
  }
  o[q++] = 0x7d;
  return q;
}

function writeNull(/** @type {Uint8Array} */ o, /** @type {number} */ q) {
  o[q] = 0x6e;
  o[q + 1] = 0x75;
  o[q + 2] = 0x6c;
  o[q + 3] = 0x6c;
  return q + 4;
}

/** Whether bytes b[p..p+44) are the base64 of the 32-byte hash given as a latin1 string. */
function base64Equals(/** @type {Uint8Array} */ b, /** @type {number} */ p, /** @type {string} */ h) {
  let q = p;
  for (let i = 0; i < 30; i += 3) {
    const n = (h.charCodeAt(i) << 16) | (h.charCodeAt(i + 1) << 8) | h.charCodeAt(i + 2);
    if (b[q] !== B64[n >>> 18] || b[q + 1] !== B64[(n >>> 12) & 63] || b[q + 2] !== B64[(n >>> 6) & 63] || b[q + 3] !== B64[n & 63]) return false;
    q += 4;
  }
  const n = (h.charCodeAt(30) << 16) | (h.charCodeAt(31) << 8);
  return b[q] === B64[n >>> 18] && b[q + 1] === B64[(n >>> 12) & 63] && b[q + 2] === B64[(n >>> 6) & 63] && b[q + 3] === 0x3d;
}

/**
 * Scans one NDJSON line in the export's exact layout into vs/ve. Answers false when the line has
 * any other form (the slow path then parses it).
 */
function scanNdjsonLine(/** @type {Uint8Array} */ b, /** @type {number} */ p, /** @type {number} */ end) {
  sawHigh = false;
  for (let slot = 0; slot < 16; slot++) {
    const key = NDJSON_KEYS[slot];
    const n = key.length;
    if (p + n > end) return false;
    for (let i = 0; i < n; i++) if (b[p + i] !== key[i]) return false;
    p += n;
    vs[slot] = p;
    vk[slot] = 0;
    const c = b[p];
    if (c === 0x22 && slot !== SLOT_INDEX) p = scanString(b, p, end);
    else if (c === 0x6e) p = isNullAt(b, p, end) ? p + 4 : -1;
    else if (slot === SLOT_DETAILS) p = skipValue(b, p, end, 0);
    else if (slot === SLOT_INDEX && c !== 0x2d) p = scanInteger(b, p, end);
    else return false;
    if (p < 0) return false;
    ve[slot] = p;
  }
  const hl = ve[SLOT_HASH] - vs[SLOT_HASH];
  return (hl === 4 || hl === 46) && p + 1 === end && b[p] === 0x7d;
}

/** The decimal integer in b[p..end) (already checked by scanInteger). */
function readInt(/** @type {Uint8Array} */ b, /** @type {number} */ p, /** @type {number} */ end) {
  let n = 0;
  for (let i = p; i < end; i++) n = n * 10 + (b[i] - 0x30);
  return n;
}

// ============================================================================ CSV

/** Cell boundaries of the current CSV record. cq: 0 unquoted, 1 quoted, 2 quoted with "" inside. */
let cs = new Int32Array(32);
let ce = new Int32Array(32);
let cq = new Uint8Array(32);
let cellCount = 0;
/** Newlines inside quoted cells of the current record. */
let innerNewlines = 0;
/** Whether a quoted cell of the current record holds a \ or a control character (JSON would escape it). */
let sawEscapable = false;

/**
 * Scans one CSV record starting at p into cs/ce/cq. Answers the index of the byte that ends it
 * (the newline, or end at the end of the file), -1 when the buffer ends first, -2 when malformed.
 * @param {Uint8Array} b @param {number} p @param {number} end @param {boolean} atEof
 */
function scanCsvRecord(b, p, end, atEof) {
  cellCount = 0;
  innerNewlines = 0;
  sawHigh = false;
  sawEscapable = false;
  for (;;) {
    if (cellCount === cs.length) {
      const grow = (/** @type {Int32Array} */ a) => {
        const x = new Int32Array(a.length * 2);
        x.set(a);
        return x;
      };
      cs = grow(cs);
      ce = grow(ce);
      const q = new Uint8Array(cq.length * 2);
      q.set(cq);
      cq = q;
    }
    if (p < end && b[p] === 0x22) {
      let q = 1;
      p++;
      const start = p;
      for (;;) {
        if (p >= end) return atEof ? -2 : -1;
        const c = b[p];
        if (c === 0x22) {
          if (p + 1 < end && b[p + 1] === 0x22) {
            q = 2;
            p += 2;
            continue;
          }
          if (p + 1 >= end && !atEof) return -1;
          break;
        }
        const k = STRING_BYTE[c];
        if (k !== 0) {
          if (k === 3) sawHigh = true;
          else {
            sawEscapable = true;
            if (c === 0x0a) innerNewlines++;
          }
        }
        p++;
      }
      cs[cellCount] = start;
      ce[cellCount] = p;
      cq[cellCount] = q;
      p++;
    } else {
      const start = p;
      while (p < end) {
        const c = b[p];
        if (c === 0x2c || c === 0x0a || c === 0x0d) break;
        if (c === 0x22) return -2;
        if (c >= 0x80) sawHigh = true;
        p++;
      }
      cs[cellCount] = start;
      ce[cellCount] = p;
      cq[cellCount] = 0;
    }
    cellCount++;
    if (p >= end) return atEof ? end : -1;
    const c = b[p];
    if (c === 0x2c) {
      p++;
      continue;
    }
    if (c === 0x0a) return p;
    if (c === 0x0d) {
      if (p + 1 < end && b[p + 1] === 0x0a) return p + 1;
      if (p + 1 >= end) return atEof ? p + 1 : -1;
    }
    return -2;
  }
}

/** The text of a CSV cell, or null for an empty unquoted one; one leading `'` (the formula guard) removed. */
function csvCellText(/** @type {Buffer} */ b, /** @type {number} */ i) {
  let s = cs[i];
  const e = ce[i];
  if (cq[i] === 0 && s === e) return null;
  if (s < e && b[s] === 0x27) s++;
  const t = b.toString('utf8', s, e);
  return cq[i] === 2 ? t.replace(/""/g, '"') : t;
}

// ============================================================================ one chunk of the export
//
// A chunk is the records that start in a byte range [from, to) of the file. A worker that is not
// told where the first record starts takes the byte after the first newline at or after from - 1;
// the main thread checks that each chunk starts where the one before ended and has a chunk done
// again from the right place when it did not (a CSV cell with a newline across the boundary).

const READ_SLACK = 1 << 16;
/** How far on either side of a mismatched hash to look for the leaf index the event was sealed at. */
const DIAGNOSE_DISTANCE = 1024;

/**
 * @typedef {{ line: number, ord: number, kind: 'index'|'hash'|'malformed'|'unsealed-before', found: number, sealedAt: number, detail: string }} ChunkFailure
 * @typedef {{ size: number, hash: Uint8Array }} RangeNode
 * @typedef {{
 *   start: number, end: number, lines: number, sealed: number, unsealed: number,
 *   firstIndex: number, contiguous: boolean, firstSealedLine: number, firstUnsealedLine: number,
 *   failure: ChunkFailure | null, mismatches: number, leaves: Uint8Array,
 *   endNodes: RangeNode[] | null, sizeNodes: { size: number, nodes: RangeNode[] }[]
 * }} ChunkResult
 * @typedef {{ format: 'ndjson'|'csv', columns: number[] | null, columnCount: number, needed: number[] }} ExportShape
 */

/** Reads len bytes at pos (fewer at the end of the file). */
function readAt(/** @type {number} */ fd, /** @type {number} */ pos, /** @type {number} */ len) {
  // One buffer per thread, reused: fresh multi-megabyte buffers cost page faults on every chunk.
  if (readBuffer.length < len) readBuffer = Buffer.allocUnsafeSlow(len);
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, readBuffer, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return readBuffer.subarray(0, got);
}
let readBuffer = Buffer.allocUnsafeSlow(0);

/**
 * Verifies the records of one chunk: recomputes each leaf hash, checks the indexes inside the
 * chunk, and computes the subtree roots the main thread needs.
 * @param {number} fd @param {number} fileSize @param {ExportShape} shape
 * @param {{ from: number, to: number, exact: boolean }} task
 * @returns {ChunkResult}
 */
function processChunk(fd, fileSize, shape, task) {
  const csv = shape.format === 'csv';
  let base = task.exact ? task.from : Math.max(0, task.from - 1);
  let buf = readAt(fd, base, Math.min(fileSize, task.to + READ_SLACK) - base);
  let p = 0;
  if (!task.exact && task.from > 0) {
    let nl = buf.indexOf(10);
    while (nl < 0 && base + buf.length < fileSize) {
      buf = readAt(fd, base, buf.length * 2);
      nl = buf.indexOf(10);
    }
    p = nl < 0 ? buf.length : nl + 1;
  }
  const start = base + p;
  // the thread's leaf-hash buffer, reused from chunk to chunk (the result gets a copy of what is used)
  let leaves = leafScratch;
  let sealed = 0;
  let unsealed = 0;
  let lines = 0;
  let firstIndex = -1;
  let contiguous = true;
  let firstSealedLine = -1;
  let firstUnsealedLine = -1;
  /** @type {ChunkFailure | null} */
  let failure = null;
  let mismatches = 0;
  /** CSV `details` with its quotes un-doubled. */
  let detailsBuf = new Uint8Array(1024);
  let dS = 0;
  let dE = 0;
  /** The record being checked (the fast path's emitFast re-reads it). */
  let lineStart = 0;
  let lineEnd = 0;

  /** A line that is not an event at all still takes a place in the tree (an all-zero leaf), so later indexes stay put. */
  const malformed = (/** @type {number} */ line, /** @type {string} */ detail) => {
    if (!failure) failure = { line, ord: sealed, kind: 'malformed', found: -1, sealedAt: -1, detail };
    if (sealed === 0) firstSealedLine = line;
    contiguous = false;
    growLeaves();
    leaves.fill(0, sealed * 32, sealed * 32 + 32);
    sealed++;
  };

  while (base + p < task.to) {
    // ---- find the record: [p, recEnd), the next one at `next`
    let recEnd;
    let next;
    if (csv) {
      const atEof = base + buf.length >= fileSize;
      const r = scanCsvRecord(buf, p, buf.length, atEof);
      if (r === -1) {
        buf = readAt(fd, base + p, Math.max(buf.length - p, READ_SLACK) * 2);
        base += p;
        p = 0;
        continue;
      }
      if (r === -2) {
        let nl = buf.indexOf(10, p);
        if (nl < 0) nl = buf.length;
        malformed(lines, 'is not a well-formed CSV record');
        lines++;
        p = nl + 1;
        continue;
      }
      recEnd = r > p && buf[r] === 0x0a && buf[r - 1] === 0x0d ? r - 1 : r;
      next = r + 1;
    } else {
      let nl = buf.indexOf(10, p);
      if (nl < 0) {
        if (base + buf.length < fileSize) {
          buf = readAt(fd, base + p, Math.max(buf.length - p, READ_SLACK) * 2);
          base += p;
          p = 0;
          continue;
        }
        nl = buf.length;
      }
      recEnd = nl > p && buf[nl - 1] === 0x0d ? nl - 1 : nl;
      next = nl + 1;
    }
    const line = lines;
    lineStart = p;
    lineEnd = recEnd;
    lines += 1 + (csv ? innerNewlines : 0);
    if (recEnd === p || (!csv && isBlank(buf, p, recEnd))) {
      p = next;
      continue;
    }

    // ---- the fast path fills vs/ve/vk (and details for CSV); anything else is parsed
    /** @type {Record<string, unknown> | null} */
    let parsed = null;
    let index = -1; // -1: unsealed
    let hashStart = -1; // where the exported leafHash's 44 characters are in buf (fast path)
    /** @type {string | null} */
    let hashText = null; // the exported leafHash (slow path)
    let leafLength = -1;
    let fast = csv ? cellCount === shape.columnCount && (!sawHigh || isUtf8(buf.subarray(p, recEnd))) && csvFast(buf) : scanNdjsonLine(buf, p, recEnd) && (!sawHigh || isUtf8(buf.subarray(p, recEnd)));
    if (fast) {
      if (csv) {
        index = vk[SLOT_INDEX] === 2 ? -1 : readInt(buf, vs[SLOT_INDEX], ve[SLOT_INDEX]);
        hashStart = vk[SLOT_HASH] === 2 ? -1 : vs[SLOT_HASH];
      } else {
        index = buf[vs[SLOT_INDEX]] === 0x6e ? -1 : readInt(buf, vs[SLOT_INDEX], ve[SLOT_INDEX]);
        hashStart = ve[SLOT_HASH] - vs[SLOT_HASH] === 46 ? vs[SLOT_HASH] + 1 : -1;
      }
      if (index >= 0) {
        leafLength = emitFast(index);
        if (leafLength < 0) fast = false;
      }
    }
    if (!fast) {
      const r = csv ? csvSlow(buf) : ndjsonSlow(buf, p, recEnd);
      if (typeof r === 'string') {
        malformed(line, r);
        p = next;
        continue;
      }
      parsed = r;
      const li = r.leafIndex;
      if (li === null || li === undefined) index = -1;
      else if (typeof li === 'number' && Number.isSafeInteger(li) && li >= 0) index = li;
      else {
        malformed(line, 'has a leafIndex that is not a whole number');
        p = next;
        continue;
      }
      hashText = typeof r.leafHash === 'string' ? r.leafHash : null;
    }

    // ---- unsealed events (no leaf index) come after every sealed one
    if (index < 0) {
      if (unsealed === 0) firstUnsealedLine = line;
      unsealed++;
      p = next;
      continue;
    }
    if (unsealed > 0 && !failure) failure = { line, ord: sealed, kind: 'unsealed-before', found: index, sealedAt: -1, detail: '' };
    if (sealed === 0) {
      firstIndex = index;
      firstSealedLine = line;
    } else if (index !== firstIndex + sealed) {
      contiguous = false;
      if (!failure) failure = { line, ord: sealed, kind: 'index', found: index, sealedAt: -1, detail: '' };
    }

    // ---- the leaf hash, recomputed from the event, against the exported one
    const h = parsed ? sha256Latin1(leafInput(leafBytes(parsed, index))) : sha256Latin1(outView(leafLength));
    const matches = hashStart >= 0 ? base64Equals(buf, hashStart, h) : hashText !== null && hashText === Buffer.from(h, 'latin1').toString('base64');
    growLeaves();
    const at = sealed * 32;
    if (matches) for (let i = 0; i < 32; i++) leaves[at + i] = h.charCodeAt(i);
    else {
      // the tree is built from the exported hashes (the events are checked against them here)
      const exported = hashStart >= 0 ? buf.toString('latin1', hashStart, hashStart + 44) : hashText;
      const decoded = exported === null ? null : strictBase64(exported);
      leaves.set(decoded && decoded.length === 32 ? decoded : Buffer.from(h, 'latin1'), at);
      mismatches++;
      if (!failure) failure = { line, ord: sealed, kind: 'hash', found: index, sealedAt: exported ? sealedAt(parsed, index, exported) : -1, detail: exported ? '' : 'has no leafHash' };
    }
    sealed++;
    p = next;
  }

  function growLeaves() {
    if ((sealed + 1) * 32 > leaves.length) {
      const x = new Uint8Array(leaves.length * 2);
      x.set(leaves);
      leaves = leafScratch = x;
    }
  }

  /** Writes 0x00 ‖ canonical JSON of the current fast-path event at leaf index i into `out`; answers its length or -1. */
  function emitFast(/** @type {number} */ i) {
    if (csv) return emitLeaf(buf, lineEnd - lineStart, i, detailsBuf, dS, dE);
    return emitNdjsonLeaf(buf, lineStart, lineEnd, i);
  }

  /**
   * The leaf index an event was sealed at, when its exported hash is its hash at a nearby index
   * (an event moved by an insertion or a deletion before it); -1 when none is.
   * @param {Record<string, unknown> | null} event the parsed event (null: the fast-path one)
   * @param {number} index @param {string} exported
   */
  function sealedAt(event, index, exported) {
    const want = strictBase64(exported);
    if (!want || want.length !== 32) return -1;
    const wanted = want.toString('latin1');
    const at = (/** @type {number} */ i) => (event ? sha256Latin1(leafInput(leafBytes(event, i))) : sha256Latin1(outView(emitFast(i))));
    for (let d = 1; d <= DIAGNOSE_DISTANCE; d++) {
      if (index - d >= 0 && at(index - d) === wanted) return index - d;
      if (at(index + d) === wanted) return index + d;
    }
    return -1;
  }

  /** CSV fast path: fills vs/ve/vk from the cells (the formula guard removed) and `details`. */
  function csvFast(/** @type {Buffer} */ b) {
    const cols = /** @type {number[]} */ (shape.columns);
    for (let slot = 0; slot < 16; slot++) {
      const c = cols[slot];
      let s = cs[c];
      const e = ce[c];
      const q = cq[c];
      if (q === 0 && s !== e) return false; // the export quotes every value
      if (q !== 0 && s < e && b[s] === 0x27) s++;
      vs[slot] = s;
      ve[slot] = e;
      vk[slot] = q === 0 ? 2 : 1;
      if (slot === SLOT_DETAILS) {
        dS = dE = 0;
        if (q === 0) continue;
        if (detailsBuf.length < e - s) detailsBuf = new Uint8Array((e - s) * 2);
        let n = 0;
        for (let i = s; i < e; i++) {
          const x = b[i];
          detailsBuf[n++] = x;
          if (x === 0x22) i++; // "" in the cell is one "
        }
        if (skipValue(detailsBuf, 0, n, 0) !== n) return false;
        dE = n;
        continue;
      }
      if (q === 2) return false;
      if (q === 0) continue;
      if (slot === SLOT_INDEX) {
        if (s === e || b[s] === 0x2d || scanInteger(b, s, e) !== e) return false;
      } else if (slot === SLOT_HASH) {
        if (e - s !== 44) return false;
      } else if (sawEscapable) {
        for (let i = s; i < e; i++) if (b[i] < 0x20 || b[i] === 0x5c) return false;
      }
    }
    return true;
  }

  /** The event of a CSV record, parsed cell by cell; or why it is not one. */
  function csvSlow(/** @type {Buffer} */ b) {
    if (cellCount !== shape.columnCount) return `has ${cellCount} cells where the header has ${shape.columnCount}`;
    const cols = /** @type {number[]} */ (shape.columns);
    /** @type {Record<string, unknown>} */
    const e = {};
    for (let slot = 0; slot < 16; slot++) {
      const t = csvCellText(b, cols[slot]);
      if (slot === SLOT_DETAILS) {
        if (t === null) e.details = null;
        else {
          try {
            e.details = JSON.parse(t);
          } catch {
            return 'has a details cell that is not JSON';
          }
        }
      } else if (slot === SLOT_INDEX) {
        if (t === null) e.leafIndex = null;
        else if (/^(0|[1-9][0-9]{0,15})$/.test(t)) e.leafIndex = Number(t);
        else return 'has a leafIndex that is not a whole number';
      } else e[EXPORT_MEMBERS[slot]] = t;
    }
    return e;
  }

  // ---- the subtree roots for the main thread, when the chunk's indexes run on from firstIndex
  /** @type {RangeNode[] | null} */
  let endNodes = null;
  /** @type {{ size: number, nodes: RangeNode[] }[]} */
  const sizeNodes = [];
  if (contiguous && sealed > 0) {
    const levels = buildLevels(leaves, firstIndex, firstIndex + sealed);
    endNodes = decompose(levels, firstIndex, firstIndex + sealed);
    for (const n of shape.needed) if (n > firstIndex && n < firstIndex + sealed) sizeNodes.push({ size: n, nodes: decompose(levels, firstIndex, n) });
  }
  return { start, end: base + p, lines, sealed, unsealed, firstIndex, contiguous, firstSealedLine, firstUnsealedLine, failure, mismatches, leaves: leaves.slice(0, sealed * 32), endNodes, sizeNodes };
}

/** An NDJSON line parsed; or why it is not an event. */
function ndjsonSlow(/** @type {Buffer} */ b, /** @type {number} */ p, /** @type {number} */ end) {
  try {
    const v = JSON.parse(b.toString('utf8', p, end));
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return /** @type {Record<string, unknown>} */ (v);
  } catch {
    // not JSON
  }
  return 'is not a JSON object';
}

/** Leaf hashes of the chunk being checked, 32 bytes each; grows, and is reused by the thread's next chunk. */
let leafScratch = new Uint8Array(32 * 16384);

function isBlank(/** @type {Uint8Array} */ b, /** @type {number} */ p, /** @type {number} */ end) {
  for (let i = p; i < end; i++) if (b[i] !== 0x20 && b[i] !== 0x09 && b[i] !== 0x0d) return false;
  return true;
}

/**
 * Every perfect subtree inside [s, e) at each level: level k holds the nodes of size 2^k that start
 * at multiples of 2^k, from the first such start ≥ s to the last that ends ≤ e.
 * @param {Uint8Array} leaves @param {number} s @param {number} e
 */
function buildLevels(leaves, s, e) {
  /** @type {{ first: number, count: number, hashes: Uint8Array }[]} */
  const levels = [{ first: s, count: e - s, hashes: leaves }];
  for (let k = 1; ; k++) {
    const size = 2 ** k;
    const first = Math.ceil(s / size) * size;
    const last = Math.floor(e / size) * size;
    if (last <= first) break;
    const count = (last - first) / size;
    const below = levels[k - 1];
    const hashes = new Uint8Array(count * 32);
    const half = size / 2;
    const from = below.hashes;
    for (let i = 0; i < count; i++) {
      const l = ((first + i * size - below.first) / half) * 32;
      for (let j = 0; j < 64; j++) nodeInput[1 + j] = from[l + j];
      const h = sha256Latin1(nodeInput);
      for (let j = 0, o = i * 32; j < 32; j++) hashes[o + j] = h.charCodeAt(j);
    }
    levels.push({ first, count, hashes });
  }
  return levels;
}

/**
 * [s, n) as aligned perfect subtrees, left to right.
 * @param {{ first: number, count: number, hashes: Uint8Array }[]} levels @param {number} s @param {number} n
 * @returns {RangeNode[]}
 */
function decompose(levels, s, n) {
  /** @type {RangeNode[]} */
  const nodes = [];
  let p = s;
  while (p < n) {
    let k = levels.length - 1;
    while (k > 0 && (p % 2 ** k !== 0 || p + 2 ** k > n)) k--;
    const lv = levels[k];
    const i = (p - lv.first) / 2 ** k;
    nodes.push({ size: 2 ** k, hash: lv.hashes.slice(i * 32, i * 32 + 32) });
    p += 2 ** k;
  }
  return nodes;
}

// ============================================================================ signed notes (c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature)

class NoteError extends Error {}

/**
 * @typedef {{ text: string, name: string, id: number, alg: number, publicKey: crypto.KeyObject }} Verifier
 * @typedef {{ name: string, id: number, sig: Buffer }} NoteSignature
 * @typedef {{ body: string, origin: string, size: number, root: Buffer, sigs: NoteSignature[] }} Note
 */

/** Strict standard base64 (what re-encodes to the same text). */
function strictBase64(/** @type {string} */ s) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return null;
  const b = Buffer.from(s, 'base64');
  return b.toString('base64') === s ? b : null;
}

/** The 4-byte key id: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], big-endian. */
function keyId(/** @type {string} */ name, /** @type {Uint8Array} */ typeAndKey) {
  const h = crypto.createHash('sha256').update(name, 'utf8').update('\n').update(typeAndKey).digest();
  return h.readUInt32BE(0);
}

/** A verifier key `<name>+<hex key id>+<base64(type ‖ public key)>`; types 0x01 (Ed25519) and 0x04 (cosignature/v1). */
function parseVerifierKey(/** @type {string} */ text) {
  const s = text.trim();
  const i = s.indexOf('+');
  const j = i < 0 ? -1 : s.indexOf('+', i + 1);
  if (i <= 0 || j < 0) throw new NoteError('a verifier key is <name>+<hex key id>+<base64 key>');
  const name = s.slice(0, i);
  const hex = s.slice(i + 1, j);
  const key = strictBase64(s.slice(j + 1));
  if (/[\s+]/u.test(name)) throw new NoteError('the key name must not contain spaces or +');
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) throw new NoteError('the key id must be 8 hex digits');
  if (!key || key.length !== 33) throw new NoteError('the key must be base64 of a type byte and a 32-byte Ed25519 public key');
  const alg = key[0];
  if (alg !== 0x01 && alg !== 0x04) throw new NoteError(`key type 0x${alg.toString(16).padStart(2, '0')} is not supported (0x01 Ed25519, 0x04 Ed25519 cosignature)`);
  const id = parseInt(hex, 16);
  if (keyId(name, key) !== id) throw new NoteError(`the key id ${hex} does not match the key`);
  const publicKey = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.subarray(1).toString('base64url') }, format: 'jwk' });
  return /** @type {Verifier} */ ({ text: s, name, id, alg, publicKey });
}

/**
 * Parses a checkpoint note. Tolerates CRLF line ends, a byte order mark and missing or extra final
 * newlines (none of which is part of what is signed).
 * @param {string} raw
 * @returns {Note}
 */
function parseNote(raw) {
  let text = raw.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n').replace(/\n+$/, '') + '\n';
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) throw new NoteError('a note must not contain control characters other than newline');
  const split = text.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('a note is text, a blank line, then signature lines');
  const body = text.slice(0, split + 1);
  const sigLines = text.slice(split + 2, -1).split('\n');
  if (sigLines.length > 100) throw new NoteError('too many signatures');
  /** @type {NoteSignature[]} */
  const sigs = [];
  for (const l of sigLines) {
    const m = /^\u2014 (\S+) (\S+)$/u.exec(l);
    if (!m || m[1].includes('+')) throw new NoteError(`malformed signature line: ${JSON.stringify(l.slice(0, 80))}`);
    const sig = strictBase64(m[2]);
    if (!sig || sig.length < 5) throw new NoteError(`malformed signature for ${m[1]}`);
    sigs.push({ name: m[1], id: sig.readUInt32BE(0), sig: sig.subarray(4) });
  }
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) throw new NoteError('a checkpoint has an origin, a tree size and a root hash');
  const [origin, sizeText, rootText] = lines;
  if (!origin) throw new NoteError('the origin line is empty');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new NoteError(`the tree size ${JSON.stringify(sizeText)} is not a decimal number`);
  const root = strictBase64(rootText);
  if (!root || root.length !== 32) throw new NoteError('the root hash is not base64 of 32 bytes');
  if (lines.slice(3).some((l) => l === '')) throw new NoteError('extension lines must not be empty');
  return { body, origin, size: Number(sizeText), root, sigs };
}

/**
 * Checks the signatures of a note: at least one by the log key and all by the log key valid; each
 * witness key's cosignature verified. Signatures by unknown keys are ignored.
 * @param {Note} note @param {Verifier} logKey @param {Verifier[]} witnesses
 * @returns {{ error: string | null, cosigners: Verifier[] }}
 */
function checkNoteSignatures(note, logKey, witnesses) {
  const body = Buffer.from(note.body, 'utf8');
  let signedByLog = false;
  for (const s of note.sigs) {
    if (s.name !== logKey.name || s.id !== logKey.id) continue;
    if (!crypto.verify(null, body, logKey.publicKey, s.sig)) return { error: `the signature by the log key ${logKey.name} does not verify`, cosigners: [] };
    signedByLog = true;
  }
  if (!signedByLog) return { error: `it is not signed by the log key ${logKey.name}+${logKey.id.toString(16).padStart(8, '0')}`, cosigners: [] };
  /** @type {Verifier[]} */
  const cosigners = [];
  for (const w of witnesses) {
    let ok = false;
    for (const s of note.sigs) {
      if (s.name !== w.name || s.id !== w.id) continue;
      let good;
      if (w.alg === 0x04) {
        if (s.sig.length !== 72) return { error: `the cosignature by ${w.name} is not a timestamped Ed25519 signature`, cosigners };
        const t = s.sig.readBigUInt64BE(0);
        if (t > 0x7fffffffffffffffn) return { error: `the cosignature by ${w.name} has a bad timestamp`, cosigners };
        const msg = Buffer.concat([Buffer.from(`cosignature/v1\ntime ${t}\n`, 'utf8'), body]);
        good = crypto.verify(null, msg, w.publicKey, s.sig.subarray(8));
      } else good = crypto.verify(null, body, w.publicKey, s.sig);
      if (!good) return { error: `the cosignature by witness ${w.name} does not verify`, cosigners };
      ok = true;
    }
    if (ok) cosigners.push(w);
  }
  return { error: null, cosigners };
}

/** Whether a string is a compact JWS (three base64url parts). */
const isCompactJws = (/** @type {string} */ s) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(s);

/**
 * Finds the note in what a file holds: the note itself; JSON with a string `note` at the top or
 * under `checkpoint` (or further down, or inside a JWS in a string); or a compact JWS whose
 * payload is such JSON (a disclosure receipt). Answers null when there is none.
 * @param {string} content
 * @returns {string | null}
 */
function findNoteText(content) {
  const s = content.replace(/^\uFEFF/, '').trim();
  if (isCompactJws(s)) {
    try {
      return findNoteIn(JSON.parse(Buffer.from(s.split('.')[1], 'base64url').toString('utf8')), 0);
    } catch {
      return null;
    }
  }
  if (s.startsWith('{')) {
    try {
      return findNoteIn(JSON.parse(s), 0);
    } catch {
      return null;
    }
  }
  // anything else is taken as the note itself (and fails as one if it is not)
  return content;
}

/** @param {unknown} v @param {number} depth @returns {string | null} */
function findNoteIn(v, depth) {
  if (v === null || typeof v !== 'object' || depth > 4) return null;
  const o = /** @type {Record<string, unknown>} */ (v);
  if (typeof o.note === 'string') return o.note;
  const cp = o.checkpoint;
  if (cp && typeof cp === 'object' && typeof (/** @type {Record<string, unknown>} */ (cp).note) === 'string') return /** @type {string} */ (/** @type {Record<string, unknown>} */ (cp).note);
  if (typeof cp === 'string' && cp.includes('\n\n\u2014 ')) return cp;
  for (const x of Object.values(o)) {
    if (typeof x === 'string' && isCompactJws(x)) {
      const found = findNoteText(x);
      if (found) return found;
    }
  }
  for (const x of Object.values(o)) {
    const found = findNoteIn(x, depth + 1);
    if (found) return found;
  }
  return null;
}

// ============================================================================ the main thread: reading the export in parallel

/**
 * Reads the CSV header (the first record) and maps the export members to columns.
 * @param {number} fd @param {number} fileSize
 * @returns {{ shape: ExportShape, dataStart: number } | { error: string }}
 */
function csvHeader(fd, fileSize) {
  let len = Math.min(fileSize, READ_SLACK);
  for (;;) {
    const b = readAt(fd, 0, len);
    let start = 0;
    if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) start = 3;
    const r = scanCsvRecord(b, start, b.length, len >= fileSize);
    if (r === -1) {
      len *= 2;
      continue;
    }
    if (r === -2) return { error: 'the CSV header is not a well-formed record' };
    /** @type {string[]} */
    const names = [];
    for (let i = 0; i < cellCount; i++) names.push(b.toString('utf8', cs[i], ce[i]));
    const missing = EXPORT_MEMBERS.filter((m) => !names.includes(m));
    if (missing.length) return { error: `the CSV header has no column ${missing.join(', ')}` };
    return { shape: { format: 'csv', columns: EXPORT_MEMBERS.map((m) => names.indexOf(m)), columnCount: names.length, needed: [] }, dataStart: r + 1 };
  }
}

/**
 * Verifies the export: every leaf, the indexes, and the roots at the sizes asked for.
 * @param {string} file @param {number[]} needed sorted sizes whose roots are wanted
 * @param {{ workers: number, chunkBytes: number, format?: 'ndjson'|'csv' }} opts
 */
async function verifyExport(file, needed, opts) {
  const fd = fs.openSync(file, 'r');
  const fileSize = fs.fstatSync(fd).size;
  const head = readAt(fd, 0, Math.min(fileSize, 64)).toString('utf8');
  const format = opts.format ?? (/^\uFEFF?"?id"?,/.test(head) ? 'csv' : 'ndjson');
  /** @type {ExportShape} */
  let shape = { format: 'ndjson', columns: null, columnCount: 16, needed };
  let dataStart = 0;
  if (format === 'csv') {
    const h = csvHeader(fd, fileSize);
    if ('error' in h) {
      fs.closeSync(fd);
      return { format, formatError: h.error, ...emptyReport() };
    }
    shape = { ...h.shape, needed };
    dataStart = h.dataStart;
  } else if (head.startsWith('\uFEFF')) dataStart = 3;

  const state = {
    count: 0,
    lineBase: format === 'csv' ? 1 : 0,
    firstUnsealedLine: -1,
    /** @type {{ index: number, line: number, message: string } | null} */
    failure: null,
    mismatches: 0,
    range: new CompactRange(),
    /** @type {Map<number, Buffer>} */
    roots: new Map(),
    neededAt: 0,
  };
  const recordNeeded = () => {
    while (state.neededAt < needed.length && needed[state.neededAt] <= state.range.size) {
      if (needed[state.neededAt] === state.range.size) state.roots.set(state.range.size, state.range.root());
      state.neededAt++;
    }
  };
  recordNeeded();

  /** @param {ChunkResult} r */
  const absorb = (r) => {
    const expected = state.count;
    /** @type {{ index: number, line: number, message: string }[]} */
    const found = [];
    const lineNo = (/** @type {number} */ l) => state.lineBase + l + 1;
    if (r.sealed > 0 && state.firstUnsealedLine >= 0) found.push({ index: expected, line: lineNo(r.firstSealedLine), message: `a sealed event (line ${lineNo(r.firstSealedLine)}) comes after unsealed events (from line ${state.firstUnsealedLine})` });
    if (r.sealed > 0 && r.firstIndex !== expected && r.firstIndex >= 0) found.push(indexFailure(expected, r.firstIndex, lineNo(r.firstSealedLine)));
    if (r.failure) {
      const f = r.failure;
      const at = expected + f.ord;
      const line = lineNo(f.line);
      if (f.kind === 'index') found.push(indexFailure(r.firstIndex >= 0 ? r.firstIndex + f.ord : at, f.found, line));
      else if (f.kind === 'malformed') found.push({ index: at, line, message: `line ${line} (leaf ${at}) ${f.detail}` });
      else if (f.kind === 'unsealed-before') found.push({ index: at, line, message: `a sealed event (line ${line}) comes after unsealed events` });
      else if (f.detail) found.push({ index: f.found, line, message: `the event on line ${line} (leaf index ${f.found}) ${f.detail}` });
      else if (f.sealedAt > f.found)
        found.push({ index: f.found, line, message: `the event on line ${line} has leaf index ${f.found} but was sealed as leaf ${f.sealedAt}: the event sealed as leaf ${f.found} is missing here (deleted or moved)` });
      else if (f.sealedAt >= 0)
        found.push({ index: f.sealedAt, line, message: `the event on line ${line} has leaf index ${f.found} but was sealed as leaf ${f.sealedAt}: ${f.found - f.sealedAt === 1 ? 'an event was' : `${f.found - f.sealedAt} events were`} inserted from leaf ${f.sealedAt} on` });
      else found.push({ index: f.found, line, message: `the event on line ${line} does not match the leaf hash sealed for leaf ${f.found} (changed, swapped, or inserted with a copied hash)` });
    }
    if (!state.failure && found.length) state.failure = found.reduce((a, b) => (b.line < a.line ? b : a));
    state.mismatches += r.mismatches;
    // the tree
    if (r.contiguous && r.endNodes && r.firstIndex === state.range.size) {
      for (const sn of r.sizeNodes) {
        const c = state.range.clone();
        for (const n of sn.nodes) c.append(n.size, n.hash);
        state.roots.set(sn.size, c.root());
      }
      for (const n of r.endNodes) state.range.append(n.size, n.hash);
      while (state.neededAt < needed.length && needed[state.neededAt] < state.range.size) state.neededAt++;
      recordNeeded();
    } else {
      for (let i = 0; i < r.sealed; i++) {
        state.range.append(1, r.leaves.subarray(i * 32, i * 32 + 32));
        recordNeeded();
      }
    }
    state.count += r.sealed;
    if (state.firstUnsealedLine < 0 && r.firstUnsealedLine >= 0) state.firstUnsealedLine = lineNo(r.firstUnsealedLine);
    state.lineBase += r.lines;
  };

  /** @type {{ from: number, to: number }[]} */
  const tasks = [];
  for (let off = dataStart; off < fileSize; off += opts.chunkBytes) tasks.push({ from: off, to: Math.min(fileSize, off + opts.chunkBytes) });

  const workers = Math.min(opts.workers, tasks.length > 1 ? tasks.length : 0);
  if (workers === 0) {
    let at = dataStart;
    for (const t of tasks) {
      const r = processChunk(fd, fileSize, shape, { from: at, to: t.to, exact: true });
      absorb(r);
      at = r.end;
    }
  } else {
    await runWorkers(file, fileSize, shape, tasks, workers, dataStart, absorb);
  }
  fs.closeSync(fd);
  return { format, formatError: null, sealed: state.count, failure: state.failure, mismatches: state.mismatches, roots: state.roots, root: state.range.root() };

  function emptyReport() {
    return { sealed: 0, failure: null, mismatches: 0, roots: new Map(), root: EMPTY_ROOT };
  }
}

/**
 * @param {number} expected @param {number} found @param {number} line
 * @returns {{ index: number, line: number, message: string }}
 */
function indexFailure(expected, found, line) {
  if (found > expected) return { index: expected, line, message: `leaf ${expected} is missing: line ${line} has leaf index ${found} where ${expected} was expected` };
  return { index: found, line, message: `leaf ${found} appears again: line ${line} has leaf index ${found} where ${expected} was expected (an event was inserted, repeated or moved)` };
}

/**
 * Hands the chunks to worker threads and absorbs their results in file order. At most a few
 * chunks per worker are in flight, so memory stays flat however large the export.
 * @param {string} file @param {number} fileSize @param {ExportShape} shape
 * @param {{ from: number, to: number }[]} tasks @param {number} count @param {number} dataStart
 * @param {(r: ChunkResult) => void} absorb
 */
function runWorkers(file, fileSize, shape, tasks, count, dataStart, absorb) {
  return new Promise((resolve, reject) => {
    /** @type {{ worker: Worker, busy: number }[]} */
    const pool = [];
    /** @type {Map<number, ChunkResult>} */
    const results = new Map();
    let nextToSend = 0;
    let nextToAbsorb = 0;
    let prevEnd = dataStart;
    let settled = false;
    const settle = (/** @type {Error | null} */ err) => {
      if (settled) return;
      settled = true;
      for (const w of pool) void w.worker.terminate();
      if (err) reject(err);
      else resolve(undefined);
    };
    const send = (/** @type {number} */ id, /** @type {{ from: number, to: number, exact: boolean }} */ task) => {
      const w = pool.reduce((a, b) => (b.busy < a.busy ? b : a));
      w.busy++;
      w.worker.postMessage({ id, ...task });
    };
    const step = () => {
      while (results.has(nextToAbsorb)) {
        const r = /** @type {ChunkResult} */ (results.get(nextToAbsorb));
        results.delete(nextToAbsorb);
        if (r.start !== prevEnd) {
          // This chunk guessed where its first record starts wrongly (a CSV cell with a newline
          // across the boundary): do it again from where the one before ended.
          const t = tasks[nextToAbsorb];
          if (prevEnd >= t.to) results.set(nextToAbsorb, emptyChunk(prevEnd));
          else {
            send(nextToAbsorb, { from: prevEnd, to: t.to, exact: true });
            return;
          }
          continue;
        }
        absorb(r);
        prevEnd = r.end;
        nextToAbsorb++;
      }
      if (nextToAbsorb >= tasks.length) {
        settle(null);
        return;
      }
      while (nextToSend < tasks.length && nextToSend < nextToAbsorb + pool.length * 3 && pool.some((w) => w.busy < 2)) {
        const t = tasks[nextToSend];
        send(nextToSend, { from: t.from, to: t.to, exact: t.from === dataStart });
        nextToSend++;
      }
    };
    for (let i = 0; i < count; i++) {
      const entry = { worker: new Worker(__filename, { workerData: { role: WORKER_ROLE, file, fileSize, shape } }), busy: 0 };
      entry.worker.on('message', (/** @type {ChunkResult & { id: number }} */ m) => {
        entry.busy--;
        results.set(m.id, m);
        try {
          step();
        } catch (err) {
          settle(/** @type {Error} */ (err));
        }
      });
      entry.worker.on('error', (err) => settle(err));
      entry.worker.on('exit', (code) => {
        if (code !== 0) settle(new Error(`a worker thread stopped (exit code ${code})`));
      });
      pool.push(entry);
    }
    step();
  });
}

/** @returns {ChunkResult} */
function emptyChunk(/** @type {number} */ at) {
  return { start: at, end: at, lines: 0, sealed: 0, unsealed: 0, firstIndex: -1, contiguous: true, firstSealedLine: -1, firstUnsealedLine: -1, failure: null, mismatches: 0, leaves: new Uint8Array(0), endNodes: [], sizeNodes: [] };
}

function workerMain() {
  const { file, fileSize, shape } = workerData;
  const fd = fs.openSync(file, 'r');
  const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
  port.on('message', (/** @type {{ id: number, from: number, to: number, exact: boolean }} */ task) => {
    const r = processChunk(fd, fileSize, shape, task);
    port.postMessage({ id: task.id, ...r }, [/** @type {ArrayBuffer} */ (r.leaves.buffer)]);
  });
}

// ============================================================================ the command

const USAGE = `usage: node verify-audit-log.js --export events.ndjson|events.csv --checkpoint latest.note --log-key "<vkey>"
         [--witness "<vkey>" ...] [--quorum N] [--held FILE ...] [--receipt FILE ...]

  --export FILE      the audit export (NDJSON or CSV, as GET /api/v1/audit/events/export writes it)
  --checkpoint FILE  the log's newest checkpoint: a signed note, JSON with a "note", or a receipt
  --log-key VKEY     the log's verifier key, <name>+<hex key id>+<base64 key> (or a file holding it)
  --witness VKEY     a witness's verifier key (cosignature/v1); repeat for each witness
  --quorum N         how many distinct witnesses must have cosigned the checkpoint or the newest
                     held note (default: 1 when a --witness is given, else 0)
  --held FILE        a checkpoint note you kept earlier (or a witness gave you); repeat
  --receipt FILE     a disclosure receipt (compact JWS, or its JSON) carrying a checkpoint note; repeat
  --format F         ndjson or csv (default: from the file's first line)
  --workers N        worker threads (default: one per core, at most 8; 0: none)
  --chunk-bytes N    bytes of the export per unit of work (default 4 MiB)
  --stats            also print the time taken and the peak memory

Exit status: 0 every check passed, 1 a check failed, 2 it could not run.`;

class UsageError extends Error {}

/** @param {string} v */
function readKeyArg(v) {
  if (!v.includes('+') && fs.existsSync(v)) return fs.readFileSync(v, 'utf8').trim();
  return v;
}

/** @param {string} file @param {string} what */
function readInput(file, what) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${/** @type {NodeJS.ErrnoException} */ (err).code ?? /** @type {Error} */ (err).message}`);
  }
}

/**
 * Runs every check and writes the report. Answers the exit status.
 * @param {string[]} argv
 * @param {(line: string) => void} say
 */
async function run(argv, say) {
  const t0 = process.hrtime.bigint();
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        export: { type: 'string' },
        checkpoint: { type: 'string' },
        'log-key': { type: 'string' },
        witness: { type: 'string', multiple: true },
        quorum: { type: 'string' },
        held: { type: 'string', multiple: true },
        receipt: { type: 'string', multiple: true },
        workers: { type: 'string' },
        'chunk-bytes': { type: 'string' },
        format: { type: 'string' },
        stats: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(/** @type {Error} */ (err).message);
  }
  if (values.help) {
    say(USAGE);
    return 0;
  }
  if (!values.export || !values.checkpoint || !values['log-key']) throw new UsageError('--export, --checkpoint and --log-key are required');
  const nonNegative = (/** @type {string | undefined} */ v, /** @type {string} */ name, /** @type {number} */ dflt) => {
    if (v === undefined) return dflt;
    if (!/^[0-9]+$/.test(v)) throw new UsageError(`${name} takes a whole number`);
    return Number(v);
  };
  /** @type {Verifier} */
  let logKey;
  /** @type {Verifier[]} */
  const witnesses = [];
  try {
    logKey = parseVerifierKey(readKeyArg(values['log-key']));
    if (logKey.alg !== 0x01) throw new NoteError('the log key must be an Ed25519 key (type 0x01)');
    for (const w of values.witness ?? []) {
      const k = parseVerifierKey(readKeyArg(w));
      if (!witnesses.some((x) => x.text === k.text)) witnesses.push(k);
    }
  } catch (err) {
    throw new UsageError(`${/** @type {Error} */ (err).message}`);
  }
  const quorum = nonNegative(values.quorum, '--quorum', witnesses.length > 0 ? 1 : 0);
  if (quorum > witnesses.length) throw new UsageError(`--quorum ${quorum} needs at least ${quorum} --witness keys (${witnesses.length} given)`);
  const workers = nonNegative(values.workers, '--workers', Math.min(8, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length));
  const chunkBytes = Math.max(4096, nonNegative(values['chunk-bytes'], '--chunk-bytes', 4 << 20));
  if (values.format !== undefined && values.format !== 'ndjson' && values.format !== 'csv') throw new UsageError('--format is ndjson or csv');
  if (!fs.existsSync(values.export)) throw new UsageError(`cannot read the export ${values.export}: ENOENT`);

  // ---- the notes
  /** @type {{ label: string, kind: 'checkpoint'|'held'|'receipt', note: Note | null, error: string | null, cosigners: Verifier[] }[]} */
  const notes = [];
  const addNote = (/** @type {string} */ file, /** @type {'checkpoint'|'held'|'receipt'} */ kind) => {
    const label = `${kind === 'checkpoint' ? 'checkpoint' : kind === 'held' ? 'held note' : 'receipt'} ${file}`;
    const content = readInput(file, `the ${kind === 'held' ? 'held note' : kind}`);
    const text = findNoteText(content);
    if (text === null) {
      const legacy = /"signature"\s*:/.test(content) && /"rootHash"\s*:/.test(content) ? ' (this looks like the older JSON checkpoint signed as a JWS; fetch the checkpoint as a signed note)' : '';
      throw new UsageError(`${file} holds no checkpoint note: expected a signed note, JSON with a "note" (at the top or under "checkpoint"), or a receipt carrying one${legacy}`);
    }
    try {
      const note = parseNote(text);
      const sig = checkNoteSignatures(note, logKey, witnesses);
      notes.push({ label, kind, note, error: sig.error, cosigners: sig.cosigners });
    } catch (err) {
      if (!(err instanceof NoteError)) throw err;
      notes.push({ label, kind, note: null, error: err.message, cosigners: [] });
    }
  };
  addNote(values.checkpoint, 'checkpoint');
  for (const f of values.held ?? []) addNote(f, 'held');
  for (const f of values.receipt ?? []) addNote(f, 'receipt');

  const needed = [...new Set(notes.filter((n) => n.note && !n.error).map((n) => /** @type {Note} */ (n.note).size))].sort((a, b) => a - b);

  // ---- the export
  const report = await verifyExport(values.export, needed, { workers, chunkBytes, format: /** @type {'ndjson'|'csv'|undefined} */ (values.format) });
  /** @type {string[]} */
  const failed = [];
  const ok = (/** @type {string} */ s) => say(`OK: ${s}`);
  const bad = (/** @type {string} */ s) => {
    failed.push(s);
    say(`FAILED: ${s}`);
  };
  /** Exact first bad leaf indexes, and lower bounds ("at or after"). */
  const exact = [];
  const bounds = [];
  if (report.formatError) bad(`export ${values.export}: ${report.formatError}`);
  else if (report.failure) {
    exact.push(report.failure.index);
    const more = report.mismatches > 1 ? ` (${report.mismatches} events in all do not match their leaf hashes)` : '';
    bad(`leaf ${report.failure.index}: ${report.failure.message}${more}`);
  } else if (report.sealed === 0) ok(`export ${values.export}: no sealed events (${report.format.toUpperCase()})`);
  else ok(`export ${values.export}: ${report.sealed} sealed events (${report.format.toUpperCase()}), leaf indexes 0 to ${report.sealed - 1} with no gap, every leaf hash recomputed from its event`);

  // ---- each note against the export
  const origin = notes[0].note && !notes[0].error ? notes[0].note.origin : undefined;
  /** Sizes whose root the export matched (for "at or after"). */
  const matched = [0];
  for (const n of notes) {
    if (!n.note || n.error) continue;
    if (report.roots.get(n.note.size)?.equals(n.note.root)) matched.push(n.note.size);
  }
  matched.sort((a, b) => a - b);
  for (const n of notes) {
    if (!n.note) {
      bad(`${n.label}: not a checkpoint note: ${n.error}`);
      continue;
    }
    const size = n.note.size;
    if (n.error) {
      bad(`${n.label} (tree size ${size}): ${n.error}`);
      continue;
    }
    if (origin !== undefined && n.note.origin !== origin) {
      bad(`${n.label}: its origin ${JSON.stringify(n.note.origin)} is not the checkpoint's ${JSON.stringify(origin)}`);
      continue;
    }
    if (report.formatError) continue;
    if (size > report.sealed) {
      exact.push(report.sealed);
      const missing = size - report.sealed;
      bad(`${n.label}: the log signed tree size ${size}, but the export has only ${report.sealed} sealed events: ${missing === 1 ? '1 event is' : `${missing} events are`} missing (deleted, truncated or rolled back)`);
      continue;
    }
    const root = report.roots.get(size);
    if (!root || !root.equals(n.note.root)) {
      const from = matched.filter((m) => m < size).pop() ?? 0;
      bounds.push(from);
      bad(`${n.label} (tree size ${size}): its root is not the root of the export's first ${size} leaf hashes: the log differs from what was signed at or after leaf ${from}`);
      continue;
    }
    if (n.kind === 'checkpoint' && size < report.sealed) {
      bounds.push(size);
      bad(`${n.label}: tree size ${size}, but the export has ${report.sealed} sealed events: leaves ${size} to ${report.sealed - 1} are covered by no checkpoint you gave (fetch the checkpoint after the export, or a checkpoint was withheld)`);
      continue;
    }
    const what = n.kind === 'checkpoint' ? `the root of the export's ${size} sealed events` : `the root of the export's first ${size} leaves`;
    ok(`${n.label}: ${n.note.origin}, tree size ${size}, signed by the log key ${logKey.name}; its root is ${what}`);
  }

  // ---- witnesses
  if (witnesses.length > 0) {
    const cp = notes[0];
    const others = notes.filter((n) => n.kind !== 'checkpoint' && n.note && !n.error).sort((a, b) => /** @type {Note} */ (b.note).size - /** @type {Note} */ (a.note).size);
    const newest = others[0];
    const names = (/** @type {Verifier[]} */ ws) => ws.map((w) => w.name).join(', ') || 'none';
    if (cp.note && !cp.error && cp.cosigners.length >= quorum) ok(`witnesses: ${cp.cosigners.length} of ${witnesses.length} cosigned the checkpoint (${names(cp.cosigners)}); quorum ${quorum}`);
    else if (newest && newest.cosigners.length >= quorum)
      ok(`witnesses: ${newest.cosigners.length} of ${witnesses.length} cosigned the newest held note, tree size ${/** @type {Note} */ (newest.note).size} (${names(newest.cosigners)}); quorum ${quorum}; the checkpoint has ${cp.cosigners.length}`);
    else bad(`witnesses: quorum ${quorum} not met: the checkpoint is cosigned by ${cp.cosigners.length} of ${witnesses.length} (${names(cp.cosigners)})${newest ? `, the newest held note (tree size ${/** @type {Note} */ (newest.note).size}) by ${newest.cosigners.length}` : ''}`);
  }

  if (values.stats) {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const rss = process.resourceUsage().maxRSS / 1024;
    say(`stats: ${report.sealed} events in ${(ms / 1000).toFixed(2)} s (${Math.round(report.sealed / (ms / 1000))} events/s), peak RSS ${Math.round(rss)} MB, ${workers} worker threads`);
  }
  if (failed.length === 0) {
    say(`OK: all checks passed: tree size ${report.sealed}, root ${report.root.toString('base64')}`);
    return 0;
  }
  // A bad leaf found directly comes first; else the lowest point a mismatched root allows.
  if (exact.length) say(`FAILED: first bad leaf index ${Math.min(...exact)}`);
  else if (bounds.length) say(`FAILED: first bad leaf index at or after ${Math.min(...bounds)}`);
  else say(`FAILED: ${failed.length} check${failed.length === 1 ? '' : 's'} failed`);
  return 1;
}

async function main() {
  const say = (/** @type {string} */ s) => process.stdout.write(`${s}\n`);
  try {
    process.exitCode = await run(process.argv.slice(2), say);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`verify-audit-log: ${err.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`verify-audit-log could not run: ${/** @type {Error} */ (err).stack ?? err}\n`);
    process.exitCode = 2;
  }
}

if (!isMainThread && workerData && workerData.role === WORKER_ROLE) workerMain();
else if (require.main === module) void main();

module.exports = {
  canonicalJson,
  leafObject,
  leafBytes,
  leafHash,
  nodeHash,
  rootOfLeaves,
  CompactRange,
  EMPTY_ROOT,
  parseNote,
  parseVerifierKey,
  checkNoteSignatures,
  findNoteText,
  keyId,
  run,
  verifyExport,
  fastLeafHash,
};

/**
 * The fast path on one NDJSON line, as processChunk takes it (for tests): the leaf hash it
 * computes, or null when the line is not in the export's exact layout.
 * @param {string} line
 */
function fastLeafHash(line) {
  const b = Buffer.from(line, 'utf8');
  if (!scanNdjsonLine(b, 0, b.length) || (sawHigh && !isUtf8(b))) return null;
  if (b[vs[SLOT_INDEX]] === 0x6e) return null;
  const n = emitNdjsonLeaf(b, 0, b.length, readInt(b, vs[SLOT_INDEX], ve[SLOT_INDEX]));
  return n < 0 ? null : sha256(out.subarray(0, n));
}
