import { Injectable } from '@nestjs/common';
import type { Actor } from '../auth/actor';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { decodeCursor, encodeCursor } from '../common/dto/pagination.dto';
import { TransactionHost, Transactional, TypeOrmAdapter } from '../database/transaction';
import { DomainEventsService } from '../events/domain-events.service';
import { erasureState } from '../requests/request-views';
import { RequestsService } from '../requests/requests.service';
import { AttestErasureDto, EndedStatus, ErasureDto, ListErasureQuery } from './dto/erasure.dto';
import { DisposedOnInFutureError, ErasureAlreadyAttestedError, ErasureNotDueError } from './erasure.errors';

interface ErasureRow {
  request_id: string;
  requester_org_id: string;
  holder_org_id: string;
  ended_status: EndedStatus;
  ended_at: Date;
  retention_days: number;
  due_at: Date;
  disposed_on: string | null;
  method: string | null;
  attested_by: { name: string; title: string } | null;
  note: string | null;
  attested_at: Date | null;
}

const SELECT = `SELECT o.request_id, o.requester_org_id, o.holder_org_id, o.ended_status, o.ended_at, o.retention_days, o.due_at,
    to_char(a.disposed_on, 'YYYY-MM-DD') AS disposed_on, a.method, a.attested_by, a.note, a.attested_at
  FROM erasure_obligations o LEFT JOIN erasure_attestations a ON a.request_id = o.request_id`;

/** The day in Japan of an instant, as YYYY-MM-DD. */
function japanDate(at: Date): string {
  return new Date(at.getTime() + 9 * 3_600_000).toISOString().slice(0, 10);
}

/**
 * Erasure (消去の確認): a municipality that retrieved data under an approval owes, once the approval
 * ends, an attestation that it disposed of the data, by the end plus the retention days of its
 * safeguards. The obligations are written by the database when the request ends (see the
 * migration); this service takes the attestations, lists the obligations to the safeguard
 * reviewers and sends `erasure.due` and `erasure.overdue`, each once.
 *
 * The name and title of who attests are a municipality's staff member, yet they appear only in the
 * attestation itself: never in an audit event, a domain event (webhook) or a log.
 */
@Injectable()
export class ErasureService {
  constructor(
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly requests: RequestsService,
    private readonly audit: AuditService,
    private readonly events: DomainEventsService,
    private readonly clock: Clock,
  ) {}

  private view(r: ErasureRow, now: Date): ErasureDto {
    const dueAt = new Date(r.due_at);
    const attestedAt = r.attested_at ? new Date(r.attested_at) : null;
    return {
      requestId: r.request_id,
      requesterOrganizationId: r.requester_org_id,
      erasure: erasureState({ dueAt, attestedAt }, now),
      endedStatus: r.ended_status,
      endedAt: new Date(r.ended_at).toISOString(),
      retentionDays: r.retention_days,
      dueAt: dueAt.toISOString(),
      attestation:
        attestedAt && r.disposed_on && r.method && r.attested_by
          ? {
              disposedOn: r.disposed_on,
              method: r.method,
              attestedBy: { name: r.attested_by.name, title: r.attested_by.title },
              note: r.note,
              attestedAt: attestedAt.toISOString(),
              late: attestedAt.getTime() > dueAt.getTime(),
            }
          : null,
    };
  }

  /** Refuses on its own connection (the refused work leaves nothing else) and throws. */
  private async refuse(id: string, recordId: string | undefined, err: DomainError): Promise<never> {
    await this.audit.recordDetached({ action: 'erasure.attest', resourceType: 'request', resourceId: id, recordId, outcome: 'denied', reasonCode: err.code });
    throw err.markAudited();
  }

  /** The requesting municipality attests the erasure of what it retrieved under one request. */
  @Transactional()
  async attest(actor: Actor, id: string, dto: AttestErasureDto): Promise<ErasureDto> {
    const r = await this.requests.findVisible(actor, id, true);
    const now = this.clock.now();
    const [obligation] = (await this.txHost.tx.query(`SELECT request_id FROM erasure_obligations WHERE request_id = $1 FOR UPDATE`, [id])) as { request_id: string }[];
    if (!obligation) await this.refuse(id, r.recordId, new ErasureNotDueError());
    if (dto.disposedOn > japanDate(now)) await this.refuse(id, r.recordId, new DisposedOnInFutureError());
    const inserted = (await this.txHost.tx.query(
      `INSERT INTO erasure_attestations (request_id, organization_id, client_id, disposed_on, method, attested_by, note, attested_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
      [id, actor.orgId, actor.id, dto.disposedOn, dto.method, JSON.stringify({ name: dto.attestedBy.name, title: dto.attestedBy.title }), dto.note ?? null, now],
    )) as { request_id: string }[];
    if (!inserted.length) await this.refuse(id, r.recordId, new ErasureAlreadyAttestedError());
    const [row] = (await this.txHost.tx.query(`${SELECT} WHERE o.request_id = $1`, [id])) as ErasureRow[];
    const view = this.view(row!, now);
    // Who attested stays in the attestation: the audit event carries ids, dates and whether it was late.
    await this.audit.record({
      action: 'erasure.attest',
      resourceType: 'request',
      resourceId: id,
      recordId: r.recordId,
      details: { disposedOn: dto.disposedOn, dueAt: view.dueAt, late: view.attestation?.late ?? false },
    });
    return view;
  }

  /** Every organisation's obligations, soonest due first (safeguard reviewers). */
  async list(q: ListErasureQuery): Promise<{ items: ErasureDto[]; nextCursor: string | null }> {
    const now = this.clock.now();
    const limit = q.limit ?? 50;
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    if (q.status === 'attested') where.push('a.request_id IS NOT NULL');
    if (q.status === 'due') where.push(`a.request_id IS NULL AND o.due_at >= ${p(now)}`);
    if (q.status === 'overdue') where.push(`a.request_id IS NULL AND o.due_at < ${p(now)}`);
    const cursor = decodeCursor(q.cursor);
    if (cursor) where.push(`(o.due_at, o.request_id) > (${p(cursor.time)}, ${p(cursor.id)})`);
    const rows = (await this.txHost.tx.query(
      `${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY o.due_at, o.request_id LIMIT ${p(limit + 1)}`,
      params,
    )) as ErasureRow[];
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map((r) => this.view(r, now)), nextCursor: rows.length > limit && last ? encodeCursor(new Date(last.due_at), last.request_id) : null };
  }

  /**
   * Tells each requesting municipality once that an erasure attestation is due (as soon as the
   * request ended) and once that it is overdue; the overdue notice also goes to the ministry, whose
   * safeguard reviewers follow it up (scheduled).
   */
  @Transactional()
  async notify(): Promise<{ erasureDue: number; erasureOverdue: number }> {
    const now = this.clock.now();
    const unattested = `NOT EXISTS (SELECT 1 FROM erasure_attestations a WHERE a.request_id = o.request_id)`;
    const [due] = (await this.txHost.tx.query(
      `UPDATE erasure_obligations o SET due_notified_at = $1 WHERE due_notified_at IS NULL AND ${unattested}
        RETURNING request_id, requester_org_id, ended_status, ended_at, due_at`,
      [now],
    )) as [Pick<ErasureRow, 'request_id' | 'requester_org_id' | 'ended_status' | 'ended_at' | 'due_at'>[], number];
    for (const r of due) {
      await this.events.emit('erasure.due', { type: 'request', id: r.request_id }, [r.requester_org_id], {
        requestId: r.request_id,
        erasure: 'due',
        endedStatus: r.ended_status,
        endedAt: new Date(r.ended_at).toISOString(),
        dueAt: new Date(r.due_at).toISOString(),
      });
    }
    const [overdue] = (await this.txHost.tx.query(
      `UPDATE erasure_obligations o SET overdue_notified_at = $1 WHERE overdue_notified_at IS NULL AND due_notified_at IS NOT NULL AND due_at < $1 AND ${unattested}
        RETURNING request_id, requester_org_id, ended_status, ended_at, due_at`,
      [now],
    )) as [Pick<ErasureRow, 'request_id' | 'requester_org_id' | 'ended_status' | 'ended_at' | 'due_at'>[], number];
    if (overdue.length) {
      const ministries = ((await this.txHost.tx.query(`SELECT id FROM organizations WHERE kind = 'ministry'`)) as { id: string }[]).map((m) => m.id);
      for (const r of overdue) {
        await this.events.emit('erasure.overdue', { type: 'request', id: r.request_id }, [r.requester_org_id, ...ministries], {
          requestId: r.request_id,
          erasure: 'overdue',
          requesterOrganizationId: r.requester_org_id,
          endedStatus: r.ended_status,
          endedAt: new Date(r.ended_at).toISOString(),
          dueAt: new Date(r.due_at).toISOString(),
          overdue: true,
        });
      }
    }
    return { erasureDue: due.length, erasureOverdue: overdue.length };
  }
}
