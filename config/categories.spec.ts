import { CATEGORIES, CATEGORY_DEFINITIONS, checkPolicyCategories } from './categories';
import policy from './policy.json';
import { CATEGORIES as REQUEST_DTO_CATEGORIES } from '../src/requests/dto/create-request.dto';
import { ENUM_LABELS } from '../src/console/i18n';
import { disclosedData } from '../src/disclosures/disclosure-data';

describe('the one category definition', () => {
  it('fits config/policy.json', () => {
    expect(checkPolicyCategories(policy)).toEqual([]);
    expect([...policy.categories].sort()).toEqual([...CATEGORIES].sort());
  });

  it('refuses a policy that lists an undefined category or leaves a defined one out', () => {
    const broken = { ...policy, categories: [...policy.categories.filter((c) => c !== 'release'), 'biometrics'], sensitiveCategories: ['offense', 'dna'] };
    const problems = checkPolicyCategories(broken);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('lacks the defined category release'),
        expect.stringContaining('"biometrics"'),
        expect.stringContaining('"dna"'),
      ]),
    );
  });

  it('is where the DTO enum, the console labels and the disclosure keys come from', () => {
    expect(REQUEST_DTO_CATEGORIES).toBe(CATEGORIES);
    for (const c of CATEGORIES) {
      expect(ENUM_LABELS.ja[c]).toBe(CATEGORY_DEFINITIONS[c].label.ja);
      expect(ENUM_LABELS.en[c]).toBe(CATEGORY_DEFINITIONS[c].label.en);
    }
    const record = {
      fullName: 'x', fullNameKana: null, birthDate: '1980-01-01', sex: 'male', releaseDate: '2026-01-01', releaseType: 'parole', facilityName: null, admissionDate: null,
      residenceAddress: 'y', residenceCode: '271004', supervision: null, supportNeeds: { needs: ['housing'] }, offense: null,
    };
    expect(Object.keys(disclosedData(record, ['support_needs', 'identity']))).toEqual(['supportNeeds', 'identity']);
  });
});
