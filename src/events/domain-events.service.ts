import { Injectable } from '@nestjs/common';
import { TransactionHost, TypeOrmAdapter } from '../database/transaction';
import type { DomainEvent, EventData, EventSubject, EventType } from './domain-events';

interface EventRow {
  id: string;
  seq: string;
  type: EventType;
  occurred_at: Date;
  subject_type: EventSubject;
  subject_id: string;
  organization_ids: string[];
  data: EventData;
}

export function toDomainEvent(r: EventRow): DomainEvent {
  return {
    id: r.id,
    seq: Number(r.seq),
    type: r.type,
    occurredAt: new Date(r.occurred_at).toISOString(),
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    organizationIds: r.organization_ids,
    data: r.data,
  };
}

/**
 * The outbox. An event is written in the transaction of the change it announces, so there is no
 * event without the change and no change without the event; delivery reads the outbox later.
 */
@Injectable()
export class DomainEventsService {
  constructor(private readonly txHost: TransactionHost<TypeOrmAdapter>) {}

  /** Writes one event in the current transaction; outside a transaction it refuses (fails closed). */
  async emit(type: EventType, subject: { type: EventSubject; id: string }, organizationIds: (string | null | undefined)[], data: EventData): Promise<string> {
    if (!this.txHost.isTransactionActive()) throw new Error(`event ${type} emitted outside a transaction`);
    const orgs = [...new Set(organizationIds.filter((o): o is string => typeof o === 'string'))];
    const rows = (await this.txHost.tx.query(
      `INSERT INTO domain_events (type, subject_type, subject_id, organization_ids, data) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [type, subject.type, subject.id, orgs, JSON.stringify(data)],
    )) as { id: string }[];
    return rows[0].id;
  }

  /** Events not yet handed to delivery, oldest first, locked so that one instance takes each. */
  async claimUndispatched(limit: number): Promise<DomainEvent[]> {
    const rows = (await this.txHost.tx.query(
      `SELECT * FROM domain_events WHERE dispatched_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    )) as EventRow[];
    return rows.map(toDomainEvent);
  }

  async markDispatched(ids: string[]): Promise<void> {
    if (ids.length) await this.txHost.tx.query(`UPDATE domain_events SET dispatched_at = now() WHERE id = ANY($1::uuid[])`, [ids]);
  }
}
