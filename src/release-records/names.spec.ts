import { nameKey, newRecordRef } from './names';

describe('nameKey', () => {
  it('ignores full-width and half-width spaces and width differences', () => {
    expect(nameKey('法務　太郎')).toBe(nameKey('法務 太郎'));
    expect(nameKey(' 法務太郎 ')).toBe('法務太郎');
    expect(nameKey('ﾎｳﾑ ﾀﾛｳ')).toBe(nameKey('ホウム タロウ'));
    expect(nameKey('ＨＯＵＭＵ Taro')).toBe('houmutaro');
  });

  it('keeps kana and kanji as entered', () => {
    expect(nameKey('ほうむ たろう')).not.toBe(nameKey('ホウム タロウ'));
    expect(nameKey('法務 太郎')).not.toBe(nameKey('ホウム タロウ'));
  });
});

describe('newRecordRef', () => {
  it('makes short unambiguous references', () => {
    const refs = new Set(Array.from({ length: 1000 }, newRecordRef));
    expect(refs.size).toBe(1000);
    for (const r of refs) expect(r).toMatch(/^R-[0-9A-HJKMNP-TV-Z]{10}$/);
  });
});
