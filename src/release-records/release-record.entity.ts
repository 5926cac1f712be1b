import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Category, Purpose } from '../../config/configuration';

export const RELEASE_TYPES = ['sentence_completed', 'parole', 'juvenile_parole', 'probation_suspended_sentence', 'juvenile_probation'] as const;
export type ReleaseType = (typeof RELEASE_TYPES)[number];
export const SEXES = ['male', 'female', 'other', 'unknown'] as const;
export const SUPPORT_NEEDS = ['housing', 'employment', 'elderly_welfare', 'disability_welfare', 'medical', 'addiction_treatment', 'other'] as const;

export interface Consent {
  recipientOrganizationId?: string;
  purposes: Purpose[];
  categories: Category[];
  signedOn: string;
  validUntil?: string;
}

/** 出所者等情報: one person, one release, held by one agency. Every column here is personal data. */
@Entity('release_records')
export class ReleaseRecord {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'holder_org_id', type: 'uuid' })
  holderOrgId: string;

  @Column({ name: 'external_ref', type: 'text' })
  externalRef: string;

  @Column({ name: 'record_ref', type: 'text' })
  recordRef: string;

  @Column({ name: 'full_name', type: 'text' })
  fullName: string;

  @Column({ name: 'full_name_kana', type: 'text', nullable: true })
  fullNameKana: string | null;

  /** Normalised names for matching (NFKC, no spaces, lower case). */
  @Column({ name: 'name_key', type: 'text' })
  nameKey: string;

  @Column({ name: 'kana_key', type: 'text', nullable: true })
  kanaKey: string | null;

  @Column({ name: 'birth_date', type: 'date' })
  birthDate: string;

  @Column({ type: 'text' })
  sex: string;

  @Column({ name: 'release_date', type: 'date' })
  releaseDate: string;

  @Column({ name: 'release_type', type: 'text' })
  releaseType: ReleaseType;

  @Column({ name: 'facility_name', type: 'text', nullable: true })
  facilityName: string | null;

  @Column({ name: 'admission_date', type: 'date', nullable: true })
  admissionDate: string | null;

  @Column({ name: 'residence_address', type: 'text' })
  residenceAddress: string;

  @Column({ name: 'residence_code', type: 'char', length: 6 })
  residenceCode: string;

  @Column({ type: 'jsonb', nullable: true })
  supervision: { probationOfficeName: string; supervisionEndDate: string; officerContact?: string } | null;

  @Column({ name: 'support_needs', type: 'jsonb', nullable: true })
  supportNeeds: { needs: string[]; note?: string } | null;

  @Column({ type: 'jsonb', nullable: true })
  offense: { category: string; sentenceType?: string; sentenceTerm?: string; sentenceEndDate?: string } | null;

  @Column({ type: 'jsonb', default: () => `'[]'::jsonb` })
  consents: Consent[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
