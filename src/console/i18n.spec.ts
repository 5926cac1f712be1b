import { DICTIONARIES, fill, formatDate, formatDateTime, formatEraDate, formatWaiting } from './i18n';

describe('console i18n', () => {
  it('has every key in both languages', () => {
    expect(Object.keys(DICTIONARIES.en).sort()).toEqual(Object.keys(DICTIONARIES.ja).sort());
  });

  it('shows dates in the Japanese era and Japan time', () => {
    expect(formatDate('2025-04-01', 'ja')).toBe('令和7年4月1日');
    expect(formatDateTime('2026-11-26T15:30:00Z', 'ja')).toBe('令和8年11月27日 00:30');
    expect(formatDateTime('2026-11-26T15:30:00Z', 'en')).toMatch(/27 Nov 2026, 00:30 GMT\+9/);
  });

  it('says how long a request has waited', () => {
    const now = Date.parse('2026-11-27T12:00:00Z');
    expect(formatWaiting('2026-11-25T09:00:00Z', 'ja', now)).toBe('2日3時間');
    expect(formatWaiting('2026-11-27T11:15:00Z', 'en', now)).toBe('45 min');
  });
});

describe('era dates beside date fields', () => {
  it('gives the Japanese era date in Japanese and the Gregorian date with the era year in English', () => {
    expect(formatEraDate('2026-12-14', 'ja')).toBe('令和8年12月14日(月)');
    expect(formatEraDate('2019-04-30', 'ja')).toBe('平成31年4月30日(火)');
    expect(formatEraDate('2019-05-01', 'ja')).toBe('令和元年5月1日(水)');
    expect(formatEraDate('2026-12-14', 'en')).toBe('14 Dec 2026 (Reiwa 8)');
    expect(formatEraDate('2026-02-30', 'en')).toBe('—');
    expect(formatEraDate('', 'ja')).toBe('—');
  });

  it('fills placeholders in a message', () => {
    expect(fill('最長 {n} 日（{date}まで）', { n: 30, date: '令和8年12月29日' })).toBe('最長 30 日（令和8年12月29日まで）');
    expect(fill('{missing} stays', {})).toBe('{missing} stays');
  });
});
