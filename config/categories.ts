/**
 * The data categories (情報区分): the one definition. Each has its labels, its key in a
 * disclosure's `data`, and the fields of a release record it discloses. DTO enums, console labels
 * and the disclosure mapping derive from here, and `config/policy.json` is checked against it at
 * start. Adding a category means adding it here (with its labels) and to the policy.
 */

/** The columns of a release record a category can disclose (structural, so config needs no entity). */
export interface DisclosableRecord {
  fullName: string;
  fullNameKana: string | null;
  birthDate: string;
  sex: string;
  releaseDate: string;
  releaseType: string;
  facilityName: string | null;
  admissionDate: string | null;
  residenceAddress: string;
  residenceCode: string;
  supervision: { probationOfficeName: string; supervisionEndDate: string; officerContact?: string | null } | null;
  supportNeeds: { needs: string[]; note?: string | null } | null;
  offense: { category: string; sentenceType?: string | null; sentenceTerm?: string | null; sentenceEndDate?: string | null } | null;
}

interface CategoryDefinition {
  label: { ja: string; en: string };
  /** The key of this category in a disclosure's `data` (camelCase). */
  dataKey: string;
  /**
   * The record's fields `disclose` reads, and no other (a unit test holds it to this): a disclosure
   * reads from the database, and opens, only the sealed fields of its approved categories.
   */
  fields: readonly (keyof DisclosableRecord)[];
  /** Exactly the fields this category discloses; absent optional fields are null. */
  disclose(r: DisclosableRecord): Record<string, unknown> | null;
}

const define = <T extends Record<string, CategoryDefinition>>(defs: T) => defs;

export const CATEGORY_DEFINITIONS = define({
  identity: {
    label: { ja: '本人特定情報', en: 'Identity' },
    dataKey: 'identity',
    fields: ['fullName', 'fullNameKana', 'birthDate', 'sex'],
    disclose: (r) => ({ fullName: r.fullName, fullNameKana: r.fullNameKana, birthDate: r.birthDate, sex: r.sex }),
  },
  release: {
    label: { ja: '釈放情報', en: 'Release' },
    dataKey: 'release',
    fields: ['releaseDate', 'releaseType', 'facilityName', 'admissionDate'],
    disclose: (r) => ({ releaseDate: r.releaseDate, releaseType: r.releaseType, facilityName: r.facilityName, admissionDate: r.admissionDate }),
  },
  residence: {
    label: { ja: '帰住予定地', en: 'Planned residence' },
    dataKey: 'residence',
    fields: ['residenceAddress', 'residenceCode'],
    disclose: (r) => ({ address: r.residenceAddress, localGovernmentCode: r.residenceCode }),
  },
  supervision: {
    label: { ja: '保護観察', en: 'Supervision' },
    dataKey: 'supervision',
    fields: ['supervision'],
    disclose: (r) =>
      r.supervision
        ? { probationOfficeName: r.supervision.probationOfficeName, supervisionEndDate: r.supervision.supervisionEndDate, officerContact: r.supervision.officerContact ?? null }
        : null,
  },
  support_needs: {
    label: { ja: '支援の必要性', en: 'Support needs' },
    dataKey: 'supportNeeds',
    fields: ['supportNeeds'],
    disclose: (r) => (r.supportNeeds ? { needs: r.supportNeeds.needs, note: r.supportNeeds.note ?? null } : null),
  },
  offense: {
    label: { ja: '罪名・刑', en: 'Offence' },
    dataKey: 'offense',
    fields: ['offense'],
    disclose: (r) =>
      r.offense
        ? { category: r.offense.category, sentenceType: r.offense.sentenceType ?? null, sentenceTerm: r.offense.sentenceTerm ?? null, sentenceEndDate: r.offense.sentenceEndDate ?? null }
        : null,
  },
});

export type Category = keyof typeof CATEGORY_DEFINITIONS;
export const CATEGORIES = Object.keys(CATEGORY_DEFINITIONS) as Category[];

export function isCategory(value: string): value is Category {
  return Object.prototype.hasOwnProperty.call(CATEGORY_DEFINITIONS, value);
}

/**
 * What is wrong with a policy's categories against the definition: every defined category listed,
 * nothing else, and every sensitive or purpose category a defined one. Empty when it fits.
 */
export function checkPolicyCategories(policy: { categories: string[]; sensitiveCategories: string[]; purposes: Record<string, { categories: string[] }> }): string[] {
  const problems: string[] = [];
  const listed = new Set(policy.categories);
  for (const c of CATEGORIES) if (!listed.has(c)) problems.push(`policy.categories lacks the defined category ${c}`);
  for (const c of policy.categories) if (!isCategory(c)) problems.push(`policy.categories has ${JSON.stringify(c)}, which config/categories.ts does not define`);
  for (const c of policy.sensitiveCategories) if (!isCategory(c)) problems.push(`policy.sensitiveCategories has the undefined category ${JSON.stringify(c)}`);
  for (const [purpose, p] of Object.entries(policy.purposes))
    for (const c of p.categories) if (!isCategory(c)) problems.push(`policy.purposes.${purpose}.categories has the undefined category ${JSON.stringify(c)}`);
  return problems;
}
