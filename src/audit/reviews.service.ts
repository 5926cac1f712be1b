import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import type { Actor } from '../auth/actor';
import { BadRequestError, DomainError, RuleViolationError } from '../common/domain-error';
import { TransactionHost, Transactional, TypeOrmAdapter } from '../database/transaction';
import { AuditService } from './audit.service';
import { CreateReviewDto, ReviewDto, ReviewKind } from './dto/review.dto';

interface ReviewRow {
  id: string;
  audit_event_id: string;
  reviewer_id: string;
  reviewer_name: string | null;
  organization_id: string;
  organization_name: string | null;
  kind: ReviewKind;
  period_from: string | null;
  period_to: string | null;
  event_ids: string[];
  anomaly: string | null;
  conclusion: string;
  conclusion_sha256: Buffer;
  created_at: Date;
  leaf_index: string | null;
  details: Record<string, unknown> | null;
  cp_tree_size: string | null;
  cp_root_hash: Buffer | null;
  cp_time: Date | null;
}

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** What the `audit.review` event records: every field of the review but the free text, which it commits to by hash. */
function eventDetails(r: { id: string; kind: ReviewKind; from: string | null; to: string | null; eventIds: string[]; anomaly: string | null; conclusionSha256: string }) {
  return { reviewId: r.id, kind: r.kind, from: r.from, to: r.to, eventIds: r.eventIds, anomaly: r.anomaly, conclusionSha256: r.conclusionSha256 };
}

/**
 * Auditors' review sign-offs: each is an `audit.review` event (a leaf of the Merkle log, sealed
 * like any other) and a row holding the conclusion, written in one transaction.
 */
@Injectable()
export class AuditReviewsService {
  constructor(
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly audit: AuditService,
  ) {}

  private async refuse(err: DomainError): Promise<never> {
    await this.audit.recordDetached({ action: 'audit.review', resourceType: 'audit_review', outcome: 'denied', reasonCode: err.code });
    throw err.markAudited();
  }

  @Transactional()
  async create(actor: Actor, dto: CreateReviewDto): Promise<ReviewDto> {
    const errors: { field: string; message: string }[] = [];
    const from = dto.from ?? null;
    const to = dto.to ?? null;
    const eventIds = [...(dto.eventIds ?? [])].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
    if (dto.kind === 'period' && !from) errors.push({ field: 'from', message: 'required for a period review' });
    if (dto.kind === 'period' && !to) errors.push({ field: 'to', message: 'required for a period review' });
    if ((from === null) !== (to === null) && dto.kind === 'finding') errors.push({ field: from ? 'to' : 'from', message: 'a period needs both from and to' });
    if (from && to && from > to) errors.push({ field: 'to', message: 'must not be before from' });
    if (dto.kind === 'finding' && !eventIds.length && !dto.anomaly) errors.push({ field: 'eventIds', message: 'a finding names its events or an anomaly' });
    if (errors.length) await this.refuse(new BadRequestError('validation', 'The review is incomplete.', errors));
    if (eventIds.length) {
      const found = (await this.txHost.tx.query(`SELECT id::text AS id FROM audit_events WHERE id = ANY($1::bigint[])`, [eventIds])) as { id: string }[];
      const known = new Set(found.map((r) => r.id));
      const missing = eventIds.filter((id) => !known.has(id));
      if (missing.length) await this.refuse(new RuleViolationError('unknown-audit-event', 'The review names audit events that do not exist.', missing.slice(0, 10).map((id) => ({ field: 'eventIds', message: `no event ${id}` }))));
    }
    const id = randomUUID();
    const conclusionSha256 = sha256Hex(dto.conclusion);
    const review = { id, kind: dto.kind, from, to, eventIds, anomaly: dto.anomaly ?? null, conclusionSha256 };
    const eventId = await this.audit.record({ action: 'audit.review', resourceType: 'audit_review', resourceId: id, details: eventDetails(review) });
    await this.txHost.tx.query(
      `INSERT INTO audit_reviews (id, audit_event_id, reviewer_id, organization_id, kind, period_from, period_to, event_ids, anomaly, conclusion, conclusion_sha256)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::bigint[], $9, $10, $11)`,
      [id, eventId, actor.id, actor.orgId, dto.kind, from, to, eventIds, review.anomaly, dto.conclusion, Buffer.from(conclusionSha256, 'hex')],
    );
    const [row] = await this.rows({ id });
    return toReviewView(row!);
  }

  /** Newest first; the cursor is the last review's audit event id. */
  async list(q: { cursor?: string; limit?: number }): Promise<{ items: ReviewDto[]; nextCursor: string | null }> {
    const limit = q.limit ?? 50;
    const rows = await this.rows({ before: q.cursor, limit: limit + 1 });
    const items = rows.slice(0, limit).map(toReviewView);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.auditEventId : null };
  }

  private async rows(where: { id?: string; before?: string; limit?: number }): Promise<ReviewRow[]> {
    // The covering checkpoint: the first whose tree size exceeds the event's leaf index.
    return (await this.txHost.tx.query(
      `SELECT r.*, r.audit_event_id::text AS audit_event_id, to_char(r.period_from, 'YYYY-MM-DD') AS period_from, to_char(r.period_to, 'YYYY-MM-DD') AS period_to, r.event_ids::text[] AS event_ids, u.display_name AS reviewer_name, o.name AS organization_name,
              e.leaf_index, e.details, c.tree_size AS cp_tree_size, c.root_hash AS cp_root_hash, c.created_at AS cp_time
         FROM audit_reviews r
         JOIN audit_events e ON e.id = r.audit_event_id
         LEFT JOIN users u ON u.id = r.reviewer_id
         LEFT JOIN organizations o ON o.id = r.organization_id
         LEFT JOIN LATERAL (SELECT tree_size, root_hash, created_at FROM audit_checkpoints
                             WHERE e.leaf_index IS NOT NULL AND tree_size > e.leaf_index ORDER BY tree_size LIMIT 1) c ON true
        WHERE ($1::uuid IS NULL OR r.id = $1) AND ($2::bigint IS NULL OR r.audit_event_id < $2)
        ORDER BY r.audit_event_id DESC LIMIT $3`,
      [where.id ?? null, where.before ?? null, where.limit ?? 1],
    )) as ReviewRow[];
  }
}

export function toReviewView(r: ReviewRow): ReviewDto {
  const conclusionSha256 = r.conclusion_sha256.toString('hex');
  const view = {
    id: r.id,
    kind: r.kind,
    from: r.period_from,
    to: r.period_to,
    eventIds: r.event_ids.map(String),
    anomaly: r.anomaly,
    conclusionSha256,
  };
  const canon = (o: object) => JSON.stringify(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const sameAsEvent = r.details !== null && canon(r.details) === canon(eventDetails(view));
  return {
    ...view,
    conclusion: r.conclusion,
    reviewer: { id: r.reviewer_id, name: r.reviewer_name ?? '—', organizationId: r.organization_id, organizationName: r.organization_name },
    createdAt: new Date(r.created_at).toISOString(),
    auditEventId: String(r.audit_event_id),
    leafIndex: r.leaf_index === null ? null : Number(r.leaf_index),
    checkpoint: r.cp_tree_size === null || !r.cp_root_hash || !r.cp_time ? null : { treeSize: Number(r.cp_tree_size), rootHash: r.cp_root_hash.toString('base64'), time: new Date(r.cp_time).toISOString() },
    matchesEvent: sameAsEvent && sha256Hex(r.conclusion) === conclusionSha256,
  };
}
