import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Category } from '../../config/configuration';

/** One retrieval of approved data: what went to whom, when, under which audit event. */
@Entity('disclosures')
export class Disclosure {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'request_id', type: 'uuid' })
  requestId: string;

  @Column({ name: 'record_id', type: 'uuid' })
  recordId: string;

  @Column({ name: 'recipient_org_id', type: 'uuid' })
  recipientOrgId: string;

  @Column({ type: 'text', array: true })
  categories: Category[];

  @Column({ name: 'data_digest', type: 'text' })
  dataDigest: string;

  @Column({ name: 'audit_event_id', type: 'bigint' })
  auditEventId: string;

  @Column({ name: 'retrieved_at', type: 'timestamptz' })
  retrievedAt: Date;
}
