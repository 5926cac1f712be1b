import { CATEGORIES, CATEGORY_DEFINITIONS } from '../../config/categories';
import type { Category, DisclosableRecord } from '../../config/categories';
import type { Consent, ReleaseType } from '../release-records/release-record.entity';
import { RowCipher } from './record-cipher';

export const RECORD_TABLE = 'release_records';

/**
 * Everything in a release record that names or describes the person, each stored sealed in its
 * `<name>_enc` column. What stays in clear is listed (and justified) in the migration
 * 1765200000000-SealedRecords and the README.
 */
export const SEALED_FIELDS = {
  fullName: { column: 'full_name_enc', json: false },
  fullNameKana: { column: 'full_name_kana_enc', json: false },
  birthDate: { column: 'birth_date_enc', json: false },
  sex: { column: 'sex_enc', json: false },
  releaseDate: { column: 'release_date_enc', json: false },
  releaseType: { column: 'release_type_enc', json: false },
  facilityName: { column: 'facility_name_enc', json: false },
  admissionDate: { column: 'admission_date_enc', json: false },
  residenceAddress: { column: 'residence_address_enc', json: false },
  supervision: { column: 'supervision_enc', json: true },
  supportNeeds: { column: 'support_needs_enc', json: true },
  offense: { column: 'offense_enc', json: true },
  consents: { column: 'consents_enc', json: true },
} as const;

export type SealedField = keyof typeof SEALED_FIELDS;
export type SealedColumn = (typeof SEALED_FIELDS)[SealedField]['column'];
export const SEALED_COLUMNS = Object.values(SEALED_FIELDS).map((f) => f.column) as SealedColumn[];

/** The person's fields of a record, in clear (only ever in memory). */
export interface RecordPersonal {
  fullName: string;
  fullNameKana: string | null;
  birthDate: string;
  sex: string;
  releaseDate: string;
  releaseType: ReleaseType;
  facilityName: string | null;
  admissionDate: string | null;
  residenceAddress: string;
  supervision: { probationOfficeName: string; supervisionEndDate: string; officerContact?: string } | null;
  supportNeeds: { needs: string[]; note?: string } | null;
  offense: { category: string; sentenceType?: string; sentenceTerm?: string; sentenceEndDate?: string } | null;
  consents: Consent[];
}

/** Every disclosable field is in the person's fields or in clear (the residence code). */
export type Covers = RecordPersonal & { residenceCode: string } extends DisclosableRecord ? true : never;
export const COVERS: Covers = true;

export type RecordCipher = RowCipher<SealedColumn>;
export const RECORD_CIPHER = Symbol('RECORD_CIPHER');

export function toSealable(p: RecordPersonal): Record<SealedColumn, string | null> {
  const out = {} as Record<SealedColumn, string | null>;
  for (const [field, def] of Object.entries(SEALED_FIELDS) as [SealedField, (typeof SEALED_FIELDS)[SealedField]][]) {
    const v = p[field];
    out[def.column] = v === null || v === undefined ? null : def.json ? JSON.stringify(v) : String(v as string);
  }
  return out;
}

/**
 * For each sealed column, the categories that disclose its field (in definition order). A column no
 * category discloses (the consents) is absent: a disclosure never reads or opens it.
 */
export function disclosingCategories(): Partial<Record<SealedColumn, Category[]>> {
  const out: Partial<Record<SealedColumn, Category[]>> = {};
  for (const [field, def] of Object.entries(SEALED_FIELDS) as [SealedField, (typeof SEALED_FIELDS)[SealedField]][]) {
    const by = CATEGORIES.filter((c) => (CATEGORY_DEFINITIONS[c].fields as readonly string[]).includes(field));
    if (by.length) out[def.column] = by;
  }
  return out;
}

/** The person's fields from opened columns; a column not opened (absent or null) gives null. */
export function fromOpened(o: Partial<Record<SealedColumn, string | null>>): RecordPersonal {
  const out: Record<string, unknown> = {};
  for (const [field, def] of Object.entries(SEALED_FIELDS)) {
    const v = o[def.column];
    out[field] = v === null || v === undefined ? null : def.json ? (JSON.parse(v) as unknown) : v;
  }
  out.consents ??= [];
  return out as unknown as RecordPersonal;
}

/** The sealed columns of a raw row (node-postgres answers bytea as Buffer). */
export function sealedOf(row: Record<string, unknown>): Record<SealedColumn, Buffer | null> {
  const out = {} as Record<SealedColumn, Buffer | null>;
  for (const c of SEALED_COLUMNS) out[c] = (row[c] as Buffer | null | undefined) ?? null;
  return out;
}

/** The blind index of a name (already normalised by `nameKey`) with a birth date: what matching compares. */
export function matchIndex(cipher: RecordCipher, normalisedName: string, birthDate: string): Buffer {
  return cipher.blindIndex('name+birth', normalisedName, birthDate);
}

/** The date retention counts from: the later of the release date and the end of supervision. */
export function retentionBasis(p: Pick<RecordPersonal, 'releaseDate' | 'supervision'>): string {
  const end = p.supervision?.supervisionEndDate;
  return end && end > p.releaseDate ? end : p.releaseDate;
}
