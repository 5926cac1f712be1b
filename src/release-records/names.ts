import { randomBytes } from 'node:crypto';

/** The matching key of a name: NFKC, every kind of space removed, lower case. Kana and kanji stay as entered. */
export function nameKey(name: string): string {
  return name.normalize('NFKC').replace(/[\s\u200b-\u200d\u2060\ufeff]+/gu, '').toLowerCase();
}

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32: no I, L, O, U

/** A short public reference for a record, e.g. for a release notice: `R-` and 10 characters. */
export function newRecordRef(): string {
  const bytes = randomBytes(10);
  return 'R-' + [...bytes].map((b) => ALPHABET[b % 32]).join('');
}
