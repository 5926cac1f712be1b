import { DICTIONARIES, formatDate, formatDateTime, formatWaiting } from './i18n';

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
