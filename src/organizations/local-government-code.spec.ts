import fc from 'fast-check';
import { isValidLocalGovernmentCode, localGovernmentCheckDigit, withinJurisdiction } from './local-government-code';

describe('local government code', () => {
  it.each(['011002', '010006', '270008', '271004', '400009', '401307', '401005', '131016'])(
    'accepts the published example %s',
    (code) => expect(isValidLocalGovernmentCode(code)).toBe(true),
  );

  it.each(['011003', '27100', '2710040', 'abcdef', '000000', '481004'])('refuses %s', (code) =>
    expect(isValidLocalGovernmentCode(code)).toBe(false),
  );

  it('accepts exactly one check digit for every prefix', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 47 }), fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 9 }), (pref, muni, last) => {
        const prefix = String(pref).padStart(2, '0') + String(muni).padStart(3, '0');
        return isValidLocalGovernmentCode(prefix + last) === (last === localGovernmentCheckDigit(prefix));
      }),
    );
  });

  it('gives a prefecture its municipalities and a municipality only itself', () => {
    expect(withinJurisdiction('prefecture', '270008', '271004')).toBe(true);
    expect(withinJurisdiction('prefecture', '270008', '401307')).toBe(false);
    expect(withinJurisdiction('municipality', '271004', '271004')).toBe(true);
    expect(withinJurisdiction('municipality', '271004', '272027')).toBe(false);
  });
});
