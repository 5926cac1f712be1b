import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Category, Purpose } from '../../config/configuration';

export const REQUEST_STATUSES = ['pending', 'awaiting_second_approval', 'approved', 'rejected', 'withdrawn', 'expired', 'revoked', 'exhausted'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export type LegalGround =
  | { kind: 'consent'; consent: { documentRef: string; signedOn: string; scope: string } }
  | { kind: 'statutory_duty'; duty: string };

/** 情報提供依頼: one municipality asking one holder about one person, for one purpose. */
@Entity('info_requests')
export class InfoRequest {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The short reference staff and municipalities quote (REQ-000123): set by the database on insert, never changed. */
  @Column({ type: 'text', insert: false, update: false })
  reference: string;

  @Column({ name: 'requester_org_id', type: 'uuid' })
  requesterOrgId: string;

  @Column({ name: 'requester_client_id', type: 'text' })
  requesterClientId: string;

  @Column({ name: 'holder_org_id', type: 'uuid' })
  holderOrgId: string;

  @Column({ name: 'record_id', type: 'uuid' })
  recordId: string;

  @Column({ type: 'text' })
  purpose: Purpose;

  @Column({ type: 'text', array: true })
  categories: Category[];

  @Column({ name: 'legal_ground', type: 'jsonb' })
  legalGround: LegalGround;

  @Column({ type: 'text' })
  justification: string;

  @Column({ type: 'text' })
  status: RequestStatus;

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey: string;

  @Column({ name: 'body_hash', type: 'text' })
  bodyHash: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  /** The decision deadline (end of the last business day, Japan time); renewed for a second approval. */
  @Column({ name: 'due_at', type: 'timestamptz' })
  dueAt: Date;

  /** From here the holder is told the deadline is near (the start of the business day before). */
  @Column({ name: 'due_soon_at', type: 'timestamptz' })
  dueSoonAt: Date;

  @Column({ name: 'approved_categories', type: 'text', array: true, nullable: true })
  approvedCategories: Category[] | null;

  @Column({ name: 'access_until', type: 'timestamptz', nullable: true })
  accessUntil: Date | null;

  @Column({ name: 'max_retrievals', type: 'int', nullable: true })
  maxRetrievals: number | null;

  @Column({ type: 'int', default: 0 })
  retrievals: number;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt: Date | null;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason: string | null;

  /** The holder's officer who took the request (担当), and since when; null while nobody has. */
  @Column({ name: 'assigned_to', type: 'uuid', nullable: true, insert: false, update: false })
  assignedTo: string | null;

  @Column({ name: 'assigned_at', type: 'timestamptz', nullable: true, insert: false, update: false })
  assignedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
