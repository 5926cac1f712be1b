import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Category } from '../../config/configuration';

/** One decision on a request: stage 1 by a case officer or supervisor, stage 2 (sensitive) by another supervisor. */
@Entity('decisions')
export class Decision {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'request_id', type: 'uuid' })
  requestId: string;

  @Column({ type: 'int' })
  stage: number;

  @Column({ type: 'text' })
  decision: 'approve' | 'reject' | 'revoke';

  @Column({ name: 'decided_by', type: 'uuid' })
  decidedBy: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId: string;

  @Column({ type: 'text', array: true, nullable: true })
  categories: Category[] | null;

  @Column({ name: 'access_until', type: 'timestamptz', nullable: true })
  accessUntil: Date | null;

  @Column({ name: 'max_retrievals', type: 'int', nullable: true })
  maxRetrievals: number | null;

  @Column({ type: 'text' })
  reason: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
