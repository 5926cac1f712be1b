import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addKekToDir, loadRecordKeys, LocalKeyring } from './keyring';
import { RowCipher } from './record-cipher';
import { fromOpened, matchIndex, retentionBasis, toSealable } from './record-fields';
import type { RecordPersonal, SealedColumn } from './record-fields';

const person: RecordPersonal = {
  fullName: '試験 太郎',
  fullNameKana: null,
  birthDate: '1980-04-01',
  sex: 'male',
  releaseDate: '2026-12-15',
  releaseType: 'parole',
  facilityName: null,
  admissionDate: null,
  residenceAddress: '大阪府大阪市北区1-1',
  supervision: { probationOfficeName: '大阪保護観察所', supervisionEndDate: '2027-03-31' },
  supportNeeds: null,
  offense: { category: 'theft' },
  consents: [],
};

describe('row cipher', () => {
  const kek = { a: randomBytes(32), b: randomBytes(32) };
  const keyring = new LocalKeyring(new Map([['a', kek.a], ['b', kek.b]]), 'a');
  const cipher = new RowCipher<SealedColumn>(keyring, randomBytes(32), 'release_records');

  it('seals every value under a fresh data key and opens it again; nulls stay null', async () => {
    const { key, sealed } = await cipher.seal('row-1', toSealable(person));
    expect(key.kekId).toBe('a');
    expect(sealed.full_name_kana_enc).toBeNull();
    expect(sealed.full_name_enc!.toString('utf8')).not.toContain('試験');
    expect(fromOpened(await cipher.open('row-1', key, sealed))).toEqual(person);
    const again = await cipher.seal('row-1', toSealable(person));
    expect(again.key.wrapped.equals(key.wrapped)).toBe(false);
    expect(again.sealed.full_name_enc!.equals(sealed.full_name_enc!)).toBe(false);
  });

  it('binds the data key to the row and each value to its row and column', async () => {
    const { key, sealed } = await cipher.seal('row-1', toSealable(person));
    await expect(cipher.open('row-2', key, { full_name_enc: sealed.full_name_enc })).rejects.toThrow();
    const dek = await cipher.unwrap('row-1', key);
    expect(() => cipher.openWith(dek, 'row-1', { sex_enc: sealed.full_name_enc })).toThrow();
    expect(() => cipher.openWith(dek, 'row-2', { full_name_enc: sealed.full_name_enc })).toThrow();
    const tampered = Buffer.from(sealed.full_name_enc!);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => cipher.openWith(dek, 'row-1', { full_name_enc: tampered })).toThrow();
  });

  it('re-wraps under the active KEK without touching the values', async () => {
    const { key, sealed } = await cipher.seal('row-1', toSealable(person));
    const other = new RowCipher<SealedColumn>(
      new LocalKeyring(new Map([['a', kek.a], ['b', kek.b]]), 'b'),
      randomBytes(32),
      'release_records',
    );
    const moved = await other.rewrap('row-1', key);
    expect(moved.kekId).toBe('b');
    expect(fromOpened(await cipher.open('row-1', moved, sealed))).toEqual(person);
  });

  it('computes one blind index per name and birth date, under its own key', () => {
    const i = matchIndex(cipher, '試験太郎', '1980-04-01');
    expect(i).toHaveLength(32);
    expect(matchIndex(cipher, '試験太郎', '1980-04-01').equals(i)).toBe(true);
    expect(matchIndex(cipher, '試験太郎', '1980-04-02').equals(i)).toBe(false);
    // Length-prefixed parts: moving characters between name and date changes the index.
    expect(cipher.blindIndex('name+birth', 'ab', 'c').equals(cipher.blindIndex('name+birth', 'a', 'bc'))).toBe(false);
    const otherKey = new RowCipher<SealedColumn>(keyring, randomBytes(32), 'release_records');
    expect(matchIndex(otherKey, '試験太郎', '1980-04-01').equals(i)).toBe(false);
  });

  it('counts retention from the later of release and supervision end', () => {
    expect(retentionBasis(person)).toBe('2027-03-31');
    expect(retentionBasis({ ...person, supervision: null })).toBe('2026-12-15');
  });
});

describe('file keyring', () => {
  it('generates its keys on first start, and a running keyring picks up a KEK added later', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oie-keyring-'));
    try {
      const first = loadRecordKeys({ dataDir: dir });
      const again = loadRecordKeys({ dataDir: dir });
      expect(again.keyring.activeId).toBe(first.keyring.activeId);
      expect(again.blindIndexKey.equals(first.blindIndexKey)).toBe(true);
      const newer = addKekToDir(join(dir, 'keys', 'kek'));
      const rotated = loadRecordKeys({ dataDir: dir });
      expect(rotated.keyring.activeId).toBe(newer);
      const wrapped = await rotated.keyring.wrap(randomBytes(32), 'ctx');
      // The first instance has not seen the new KEK yet; it reads the directory again when it meets it.
      const dek = await first.keyring.unwrap(wrapped, 'ctx');
      expect(dek).toHaveLength(32);
      expect(first.keyring.activeId).toBe(newer);
      await expect(first.keyring.unwrap({ ...wrapped, kekId: 'never-made' }, 'ctx')).rejects.toThrow(/unknown/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
