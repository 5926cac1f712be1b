import type { Category } from '../../config/configuration';
import type { ReleaseRecord } from '../release-records/release-record.entity';

const KEYS: Record<Category, string> = {
  identity: 'identity',
  release: 'release',
  residence: 'residence',
  supervision: 'supervision',
  support_needs: 'supportNeeds',
  offense: 'offense',
};

/** The columns of a record that any category can disclose. */
export type DisclosableRecord = Pick<
  ReleaseRecord,
  | 'fullName'
  | 'fullNameKana'
  | 'birthDate'
  | 'sex'
  | 'releaseDate'
  | 'releaseType'
  | 'facilityName'
  | 'admissionDate'
  | 'residenceAddress'
  | 'residenceCode'
  | 'supervision'
  | 'supportNeeds'
  | 'offense'
>;

/** Exactly the fields of the approved categories, nothing else. Absent optional fields are null. */
export function disclosedData(r: DisclosableRecord, categories: Category[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of categories) {
    switch (c) {
      case 'identity':
        out[KEYS[c]] = { fullName: r.fullName, fullNameKana: r.fullNameKana, birthDate: r.birthDate, sex: r.sex };
        break;
      case 'release':
        out[KEYS[c]] = { releaseDate: r.releaseDate, releaseType: r.releaseType, facilityName: r.facilityName, admissionDate: r.admissionDate };
        break;
      case 'residence':
        out[KEYS[c]] = { address: r.residenceAddress, localGovernmentCode: r.residenceCode };
        break;
      case 'supervision':
        out[KEYS[c]] = r.supervision
          ? { probationOfficeName: r.supervision.probationOfficeName, supervisionEndDate: r.supervision.supervisionEndDate, officerContact: r.supervision.officerContact ?? null }
          : null;
        break;
      case 'support_needs':
        out[KEYS[c]] = r.supportNeeds ? { needs: r.supportNeeds.needs, note: r.supportNeeds.note ?? null } : null;
        break;
      case 'offense':
        out[KEYS[c]] = r.offense
          ? { category: r.offense.category, sentenceType: r.offense.sentenceType ?? null, sentenceTerm: r.offense.sentenceTerm ?? null, sentenceEndDate: r.offense.sentenceEndDate ?? null }
          : null;
        break;
    }
  }
  return out;
}
