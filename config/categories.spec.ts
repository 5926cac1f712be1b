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

  it("declares exactly the record fields each category's disclose reads", () => {
    const full = {
      fullName: 'x', fullNameKana: 'カナ', birthDate: '1980-01-01', sex: 'male', releaseDate: '2026-01-01', releaseType: 'parole', facilityName: 'f', admissionDate: '2024-01-01',
      residenceAddress: 'y', residenceCode: '271004', supervision: { probationOfficeName: 'p', supervisionEndDate: '2027-01-01' }, supportNeeds: { needs: ['housing'] },
      offense: { category: 'theft' },
    };
    for (const c of CATEGORIES) {
      const def = CATEGORY_DEFINITIONS[c];
      const read = new Set<string>();
      // A record that refuses every field the category does not declare, and notes what is read.
      const guarded = new Proxy(full, {
        get(target, key: string) {
          if (!(def.fields as readonly string[]).includes(key)) throw new Error(`${c} reads ${key}, which its fields do not declare`);
          read.add(key);
          return target[key as keyof typeof target];
        },
      });
      expect(() => def.disclose(guarded)).not.toThrow();
      expect([...read].sort()).toEqual([...def.fields].sort());
    }
  });
});
