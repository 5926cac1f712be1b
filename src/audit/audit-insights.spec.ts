import { japanTime, reportKind } from './audit-insights.service';

describe('per-person report helpers', () => {
  it('sorts events into kinds: refusals first, then disclosures, decisions, requests and reads', () => {
    expect(reportKind('disclosure.retrieve', 'denied')).toBe('refusal');
    expect(reportKind('disclosure.retrieve', 'success')).toBe('disclosure');
    expect(reportKind('request.approve.first', 'success')).toBe('decision');
    expect(reportKind('request.revoke', 'success')).toBe('decision');
    expect(reportKind('request.create', 'success')).toBe('request');
    expect(reportKind('record.read', 'success')).toBe('read');
    expect(reportKind('record.disclosures.read', 'success')).toBe('read');
    expect(reportKind('audit.report', 'success')).toBe('read');
    expect(reportKind('record.import', 'success')).toBe('other');
  });

  it('writes Japan time with its offset, across the date line', () => {
    expect(japanTime('2026-11-30T15:30:01.999999Z')).toBe('2026-12-01T00:30:01+09:00');
    expect(japanTime(new Date('2026-12-31T14:59:59Z'))).toBe('2026-12-31T23:59:59+09:00');
  });
});
