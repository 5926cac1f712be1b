import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Purpose } from '../../config/configuration';

export const SAFEGUARD_STATUSES = ['submitted', 'active', 'rejected', 'suspended', 'expired', 'superseded'] as const;
export type SafeguardStatus = (typeof SAFEGUARD_STATUSES)[number];

export interface LegalBasis {
  kind: 'ordinance' | 'statute';
  title: string;
  article?: string;
  enactedOn?: string;
  appiGround: 'consent' | 'statutory_duty';
}

/** One version of a municipality's registered security control measures (安全管理措置). */
@Entity('safeguards')
export class Safeguard {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId: string;

  @Column({ type: 'int' })
  version: number;

  @Column({ type: 'text' })
  status: SafeguardStatus;

  @Column({ name: 'legal_basis', type: 'jsonb' })
  legalBasis: LegalBasis;

  @Column({ name: 'responsible_department', type: 'text' })
  responsibleDepartment: string;

  @Column({ name: 'contact_point', type: 'jsonb' })
  contactPoint: { name: string; phone: string; email: string };

  @Column({ name: 'privacy_officer', type: 'text' })
  privacyOfficer: string;

  @Column({ name: 'overall_manager', type: 'text', nullable: true })
  overallManager: string | null;

  @Column({ type: 'jsonb' })
  retention: { days: number; disposalMethod: string };

  @Column({ name: 'file_register_entry', type: 'text', nullable: true })
  fileRegisterEntry: string | null;

  @Column({ type: 'jsonb' })
  measures: Record<'organizational' | 'human' | 'physical' | 'technical', string[]>;

  @Column({ type: 'text', array: true })
  purposes: Purpose[];

  @Column({ name: 'attested_by', type: 'jsonb' })
  attestedBy: { name: string; title: string };

  @Column({ name: 'attested_on', type: 'date' })
  attestedOn: string;

  @Column({ name: 'valid_until', type: 'timestamptz', nullable: true })
  validUntil: Date | null;

  @Column({ name: 'reviewed_by', type: 'uuid', nullable: true })
  reviewedBy: string | null;

  @Column({ name: 'reviewed_at', type: 'timestamptz', nullable: true })
  reviewedAt: Date | null;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
