import { addBusinessDays, deadlineAfter, dueSoonAt, isBusinessDay, tokyoDate } from './business-days';

describe('Japanese business days', () => {
  it('skips weekends, national holidays and 12/29-1/3', () => {
    expect(isBusinessDay('2026-12-01')).toBe(true); // Tuesday
    expect(isBusinessDay('2026-12-05')).toBe(false); // Saturday
    expect(isBusinessDay('2026-11-23')).toBe(false); // 勤労感謝の日 (Monday)
    expect(isBusinessDay('2026-12-28')).toBe(true); // the last working day of the year
    for (const d of ['2026-12-29', '2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02', '2027-01-03']) expect([d, isBusinessDay(d)]).toEqual([d, false]);
    expect(isBusinessDay('2027-01-04')).toBe(true);
    expect(isBusinessDay('2027-01-11')).toBe(false); // 成人の日
    expect(isBusinessDay('2026-05-06')).toBe(false); // 振替休日
  });

  it('counts in Japan time, whatever the server’s zone', () => {
    // 2026-12-04 23:30 JST is Friday in Japan, still Friday 14:30 in UTC; 2026-12-05 00:30 JST is Saturday.
    expect(tokyoDate(new Date('2026-12-04T14:30:00Z'))).toBe('2026-12-04');
    expect(tokyoDate(new Date('2026-12-04T15:30:00Z'))).toBe('2026-12-05');
  });

  it('crosses a weekend', () => {
    // Friday 2026-12-04 + 1 business day = Monday 12-07.
    expect(addBusinessDays(new Date('2026-12-04T01:00:00Z'), 1)).toBe('2026-12-07');
  });

  it('crosses a national holiday', () => {
    // Friday 2026-11-20 + 1 = Tuesday 11-24 (Monday 11-23 is 勤労感謝の日).
    expect(addBusinessDays(new Date('2026-11-20T01:00:00Z'), 1)).toBe('2026-11-24');
  });

  it('crosses the new year', () => {
    // Monday 2026-12-28 + 1 = Monday 2027-01-04; + 10 = 2027-01-18 (01-11 is 成人の日).
    expect(addBusinessDays(new Date('2026-12-28T01:00:00Z'), 1)).toBe('2027-01-04');
    expect(addBusinessDays(new Date('2026-12-28T01:00:00Z'), 10)).toBe('2027-01-18');
  });

  it('is due at the end of the last day and due soon from the start of the business day before', () => {
    const d = deadlineAfter(new Date('2026-12-25T03:00:00Z'), 2); // Friday 12-25 → 12-28, then 2027-01-04
    expect(d.dueAt.toISOString()).toBe('2027-01-04T14:59:59.999Z'); // 23:59:59.999 JST
    expect(d.dueSoonAt.toISOString()).toBe('2026-12-27T15:00:00.000Z'); // 12-28 00:00 JST
    expect(dueSoonAt(d.dueAt).toISOString()).toBe(d.dueSoonAt.toISOString());
  });
});
