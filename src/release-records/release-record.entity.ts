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

/**
 * 出所者等情報: one person, one release, held by one agency, as stored. Everything about the person
 * is sealed (see src/crypto/record-fields.ts); the service opens it only in memory. An erased record
 * keeps its id, holder, public reference and timestamps (disclosure history and audit trail).
 */
@Entity('release_records')
export class ReleaseRecord {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'holder_org_id', type: 'uuid' })
  holderOrgId: string;

  /** The holder's own reference (upserts); null once erased. */
  @Column({ name: 'external_ref', type: 'text', nullable: true })
  externalRef: string | null;

  @Column({ name: 'record_ref', type: 'text' })
  recordRef: string;

  /** The municipality of the planned residence: jurisdiction is checked in the matching query. Null once erased. */
  @Column({ name: 'residence_code', type: 'char', length: 6, nullable: true })
  residenceCode: string | null;

  /** The later of the release date and the end of supervision: retention counts from here. */
  @Column({ name: 'retain_from', type: 'date', nullable: true })
  retainFrom: string | null;

  @Column({ name: 'kek_id', type: 'text', nullable: true })
  kekId: string | null;

  @Column({ name: 'dek_wrapped', type: 'bytea', nullable: true })
  dekWrapped: Buffer | null;

  @Column({ name: 'full_name_enc', type: 'bytea', nullable: true })
  fullNameEnc: Buffer | null;

  @Column({ name: 'full_name_kana_enc', type: 'bytea', nullable: true })
  fullNameKanaEnc: Buffer | null;

  @Column({ name: 'birth_date_enc', type: 'bytea', nullable: true })
  birthDateEnc: Buffer | null;

  @Column({ name: 'sex_enc', type: 'bytea', nullable: true })
  sexEnc: Buffer | null;

  @Column({ name: 'release_date_enc', type: 'bytea', nullable: true })
  releaseDateEnc: Buffer | null;

  @Column({ name: 'release_type_enc', type: 'bytea', nullable: true })
  releaseTypeEnc: Buffer | null;

  @Column({ name: 'facility_name_enc', type: 'bytea', nullable: true })
  facilityNameEnc: Buffer | null;

  @Column({ name: 'admission_date_enc', type: 'bytea', nullable: true })
  admissionDateEnc: Buffer | null;

  @Column({ name: 'residence_address_enc', type: 'bytea', nullable: true })
  residenceAddressEnc: Buffer | null;

  @Column({ name: 'supervision_enc', type: 'bytea', nullable: true })
  supervisionEnc: Buffer | null;

  @Column({ name: 'support_needs_enc', type: 'bytea', nullable: true })
  supportNeedsEnc: Buffer | null;

  @Column({ name: 'offense_enc', type: 'bytea', nullable: true })
  offenseEnc: Buffer | null;

  @Column({ name: 'consents_enc', type: 'bytea', nullable: true })
  consentsEnc: Buffer | null;

  /** Blind indexes: HMAC-SHA256 of the normalised name (resp. kana) with the birth date. */
  @Column({ name: 'name_bidx', type: 'bytea', nullable: true })
  nameBidx: Buffer | null;

  @Column({ name: 'kana_bidx', type: 'bytea', nullable: true })
  kanaBidx: Buffer | null;

  @Column({ name: 'erased_at', type: 'timestamptz', nullable: true })
  erasedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
