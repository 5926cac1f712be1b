import { checkConsents } from './consent-check';

const CITY = '00000000-0000-4000-8000-00000000000a';
const OTHER = '00000000-0000-4000-8000-00000000000b';
const request = { categories: ['identity', 'residence', 'support_needs'] as never[], purpose: 'reintegration_support' as const, requesterOrganizationId: CITY };

describe('consent check', () => {
  it('says "none on file" for every category when the record holds no consent', () => {
    const c = checkConsents(request, [], '2026-11-30');
    expect(c.noneOnFile).toBe(true);
    expect(c.allCovered).toBe(false);
    expect(c.rows.map((r) => r.coverage)).toEqual(['none_on_file', 'none_on_file', 'none_on_file']);
  });

  it('covers only the categories a consent for this requester and purpose lists', () => {
    const c = checkConsents(request, [{ recipientOrganizationId: CITY, purposes: ['reintegration_support'], categories: ['identity', 'residence'], signedOn: '2026-03-01' }], '2026-11-30');
    expect(c.rows).toEqual([
      { category: 'identity', coverage: 'covered' },
      { category: 'residence', coverage: 'covered' },
      { category: 'support_needs', coverage: 'not_covered' },
    ]);
    expect(c.allCovered).toBe(false);
    expect(c.noneOnFile).toBe(false);
  });

  it('ignores a consent for another recipient, another purpose, not yet signed or expired', () => {
    const all = ['identity', 'residence', 'support_needs'];
    const c = checkConsents(
      request,
      [
        { recipientOrganizationId: OTHER, purposes: ['reintegration_support'], categories: all, signedOn: '2026-01-01' },
        { purposes: ['welfare_coordination'], categories: all, signedOn: '2026-01-01' },
        { purposes: ['reintegration_support'], categories: all, signedOn: '2026-12-01' },
        { purposes: ['reintegration_support'], categories: all, signedOn: '2025-01-01', validUntil: '2026-11-29' },
      ],
      '2026-11-30',
    );
    expect(c.rows.every((r) => r.coverage === 'not_covered')).toBe(true);
  });

  it('counts a consent with no recipient named, valid through today', () => {
    const c = checkConsents(request, [{ purposes: ['reintegration_support'], categories: ['identity', 'residence', 'support_needs'], signedOn: '2026-11-30', validUntil: '2026-11-30' }], '2026-11-30');
    expect(c.allCovered).toBe(true);
  });
});
