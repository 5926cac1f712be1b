import { Inject, Injectable } from '@nestjs/common';
import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig, Category } from '../../config/configuration';
import { hasRole } from '../auth/actor';
import type { Actor } from '../auth/actor';
import { AuditService } from '../audit/audit.service';
import { DomainEventsService } from '../events/domain-events.service';
import { Clock } from '../common/clock';
import { deadlineAfter } from './business-days';
import { BadRequestError, DomainError, ForbiddenError, NotFoundError, RuleViolationError } from '../common/domain-error';
import { decodeCursor, encodeCursor } from '../common/dto/pagination.dto';
import { TransactionHost, Transactional, TypeOrmAdapter } from '../database/transaction';
import { withinJurisdiction } from '../organizations/local-government-code';
import { LOCAL_GOVERNMENT_KINDS } from '../organizations/organization.entity';
import { OrganizationsService } from '../organizations/organizations.service';
import { ReleaseRecordsService } from '../release-records/release-records.service';
import { SafeguardsService } from '../safeguards/safeguards.service';
import { SafeguardsNotActiveError } from '../safeguards/safeguards.errors';
import { CreateRequestDto, ListRequestsQuery } from './dto/create-request.dto';
import { hydrate } from '../database/hydrate';
import { InfoRequest, LegalGround, RequestStatus } from './request.entity';
import { canTransition, isOpen, OPEN_STATUSES } from './request-state';
import type { EventData, EventType } from '../events/domain-events';
import { ErasureInfo, toHolderView, toRequesterView } from './request-views';
import {
  CategoryNotAllowedError,
  ErasureOverdueError,
  RequestAlreadyAssignedError,
  IdempotencyKeyRequiredError,
  IdempotencyKeyReusedError,
  PurposeNotRegisteredError,
  RequestStateError,
  SubjectNotFoundError,
} from './requests.errors';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,200}$/;

/** The columns a transition may set beside the status. */
const TRANSITION_COLUMNS = [
  'approved_categories',
  'access_until',
  'max_retrievals',
  'decided_at',
  'status_reason',
  'due_at',
  'due_soon_at',
  'due_soon_notified_at',
  'overdue_notified_at',
] as const;
type TransitionColumn = (typeof TRANSITION_COLUMNS)[number];

@Injectable()
export class RequestsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly audit: AuditService,
    private readonly safeguards: SafeguardsService,
    private readonly records: ReleaseRecordsService,
    private readonly organizations: OrganizationsService,
    private readonly events: DomainEventsService,
    private readonly clock: Clock,
  ) {}

  get repo() {
    return this.txHost.tx.getRepository(InfoRequest);
  }

  /** Audits a refusal on its own connection (the refused work leaves nothing else) and throws it. */
  private async refuse(err: DomainError, details?: Record<string, unknown>, recordId?: string): Promise<never> {
    await this.audit.recordDetached({ action: 'request.create', resourceType: 'request', outcome: 'denied', reasonCode: err.code, recordId, details });
    throw err.markAudited();
  }

  async create(actor: Actor, idempotencyKey: string | undefined, dto: CreateRequestDto): Promise<{ replayed: boolean; view: ReturnType<typeof toRequesterView> }> {
    if (!idempotencyKey || !IDEMPOTENCY_KEY.test(idempotencyKey)) throw new IdempotencyKeyRequiredError();
    const s = dto.subject;
    if (s.recordRef !== undefined && (s.fullName !== undefined || s.birthDate !== undefined))
      throw new BadRequestError('ambiguous-subject', 'Give either subject.recordRef or subject.fullName with subject.birthDate, not both.');
    const bodyHash = createHash('sha256').update(canonicalize(JSON.parse(JSON.stringify(dto))) ?? '').digest('base64url');

    const existing = await this.repo.findOneBy({ requesterOrgId: actor.orgId, idempotencyKey });
    if (existing) return this.replay(existing, bodyHash);

    if (!LOCAL_GOVERNMENT_KINDS.includes(actor.orgKind)) await this.refuse(new RuleViolationError('not-a-local-government', 'Only municipalities and prefectures make requests.'));
    if (this.config.policy.blockOnOverdueErasure && (await this.overdueErasures(actor.orgId)) > 0) await this.refuse(new ErasureOverdueError());
    const safeguard = await this.safeguards.findActive(actor.orgId);
    if (!safeguard) await this.refuse(new SafeguardsNotActiveError());
    if (!safeguard!.purposes.includes(dto.purpose)) await this.refuse(new PurposeNotRegisteredError(dto.purpose));
    const purposePolicy = this.config.policy.purposes[dto.purpose];
    if (purposePolicy.requiresOrdinance && safeguard!.legalBasis.kind !== 'ordinance')
      await this.refuse(new RuleViolationError('ordinance-required', 'This purpose needs active safeguards that cite an ordinance as legal basis.'));
    const notAllowed = dto.categories.filter((c) => !purposePolicy.categories.includes(c));
    if (notAllowed.length) await this.refuse(new CategoryNotAllowedError(dto.purpose, notAllowed), { purpose: dto.purpose, categories: dto.categories });

    // The jurisdiction is part of the one matching query: "no such person" and "outside your
    // jurisdiction" take the same path and answer the same way.
    const requester = await this.organizations.find(actor.orgId);
    const code = requester?.localGovernmentCode ?? '';
    const record = await this.records.match(s, { kind: actor.orgKind as 'municipality' | 'prefecture', code });
    if (!record || !withinJurisdiction(actor.orgKind as 'municipality' | 'prefecture', code, record.residenceCode ?? '')) {
      await this.refuse(new SubjectNotFoundError(), { by: s.recordRef ? 'recordRef' : 'nameAndBirthDate' });
    }

    const created = await this.txHost.withTransaction(async () => {
      const legalGround: LegalGround =
        dto.legalGround.kind === 'consent'
          ? { kind: 'consent', consent: { ...dto.legalGround.consent! } }
          : { kind: 'statutory_duty', duty: dto.legalGround.duty! };
      const { dueAt, dueSoonAt } = deadlineAfter(this.clock.now(), this.config.policy.limits.decisionBusinessDays);
      const rows = (await this.txHost.tx.query(
        `INSERT INTO info_requests (requester_org_id, requester_client_id, holder_org_id, record_id, purpose, categories, legal_ground,
            justification, status, idempotency_key, body_hash, expires_at, due_at, due_soon_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'pending',$9,$10, now() + make_interval(days => $11), $12, $13)
         ON CONFLICT (requester_org_id, idempotency_key) DO NOTHING RETURNING id`,
        [actor.orgId, actor.id, record!.holderOrgId, record!.id, dto.purpose, dto.categories, JSON.stringify(legalGround), dto.justification, idempotencyKey, bodyHash, this.config.policy.limits.pendingRequestExpiryDays, dueAt, dueSoonAt],
      )) as { id: string }[];
      if (!rows[0]) return null; // a concurrent call with the same key won
      await this.audit.record({
        action: 'request.create',
        resourceType: 'request',
        resourceId: rows[0].id,
        recordId: record!.id,
        details: { purpose: dto.purpose, categories: dto.categories, legalGround: dto.legalGround.kind, holderOrganizationId: record!.holderOrgId },
      });
      await this.events.emit('request.created', { type: 'request', id: rows[0].id }, [record!.holderOrgId], {
        requestId: rows[0].id,
        status: 'pending',
        purpose: dto.purpose,
        categories: dto.categories,
        requesterOrganizationId: actor.orgId,
        holderOrganizationId: record!.holderOrgId,
        dueAt: dueAt.toISOString(),
      });
      return this.repo.findOneByOrFail({ id: rows[0].id });
    });
    if (!created) return this.replay(await this.repo.findOneByOrFail({ requesterOrgId: actor.orgId, idempotencyKey }), bodyHash);
    return { replayed: false, view: toRequesterView(created, this.clock.now(), null) };
  }

  private async replay(existing: InfoRequest, bodyHash: string) {
    if (existing.bodyHash !== bodyHash) {
      await this.audit.recordDetached({ action: 'request.create', resourceType: 'request', resourceId: existing.id, outcome: 'denied', reasonCode: 'idempotency-key-reused' });
      throw new IdempotencyKeyReusedError().markAudited();
    }
    return { replayed: true, view: toRequesterView(existing, this.clock.now(), await this.erasureOf(existing.id)) };
  }

  /** The requester sees its own requests; the holder's staff see those routed to their agency. */
  private scope(actor: Actor): { column: 'requester_org_id' | 'holder_org_id'; holder: boolean } {
    return actor.type === 'client' ? { column: 'requester_org_id', holder: false } : { column: 'holder_org_id', holder: true };
  }

  async list(actor: Actor, q: ListRequestsQuery) {
    const { column, holder } = this.scope(actor);
    const limit = q.limit ?? 50;
    const qb = this.repo.createQueryBuilder('r').where(`r.${column} = :org`, { org: actor.orgId }).orderBy('r.created_at', 'DESC').addOrderBy('r.id', 'DESC').limit(limit + 1);
    if (q.status) qb.andWhere('r.status = :status', { status: q.status });
    if (q.overdue !== undefined) {
      const open = `r.status IN ('pending', 'awaiting_second_approval')`;
      if (q.overdue) qb.andWhere(`${open} AND r.due_at < :now`, { now: this.clock.now() });
      else qb.andWhere(`NOT (${open} AND r.due_at < :now)`, { now: this.clock.now() });
    }
    if (q.purpose) qb.andWhere('r.purpose = :purpose', { purpose: q.purpose });
    if (q.from) qb.andWhere('r.created_at >= :from', { from: new Date(q.from) });
    if (q.to) qb.andWhere('r.created_at < :to', { to: new Date(q.to) });
    const cursor = decodeCursor(q.cursor);
    if (cursor) qb.andWhere('(r.created_at, r.id) < (:t, :id)', { t: cursor.time, id: cursor.id });
    const rows = await qb.getMany();
    const now = this.clock.now();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const erasures = await this.erasures(items.map((r) => r.id));
    return {
      items: items.map((r) => (holder ? toHolderView(r, {}, now, erasures.get(r.id) ?? null) : toRequesterView(r, now, erasures.get(r.id) ?? null))),
      nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
    };
  }

  /** Loads a request visible to the actor; anything else is 404, whether it exists or not. */
  async findVisible(actor: Actor, id: string, lock = false): Promise<InfoRequest> {
    const { column } = this.scope(actor);
    // Raw SQL on this hot path (every read, withdrawal and console page): no query builder per call.
    const rows = (await this.txHost.tx.query(`SELECT * FROM info_requests WHERE id = $1 AND ${column} = $2${lock ? ' FOR UPDATE' : ''}`, [id, actor.orgId])) as Record<string, unknown>[];
    const r = rows[0] ? hydrate<InfoRequest>(this.repo.metadata, rows[0]) : null;
    if (!r) {
      // A probe for someone else's request is a refused attempt: on record, but answered as plain 404.
      await this.audit.recordDetached({ action: 'request.read', resourceType: 'request', resourceId: id, outcome: 'denied', reasonCode: 'not-found' });
      throw new NotFoundError('request').markAudited();
    }
    return r;
  }

  async get(actor: Actor, id: string) {
    if (actor.type === 'client') {
      const r = await this.findVisible(actor, id);
      return toRequesterView(r, this.clock.now(), await this.erasureOf(r.id));
    }
    return this.getForHolder(actor, id);
  }

  /** The holder staff's view: who asks and which record (by id and public reference). */
  async getForHolder(actor: Actor, id: string) {
    const r = await this.findVisible({ ...actor, type: 'user' }, id);
    const [record, requester, erasure] = await Promise.all([this.records.findById(r.recordId), this.organizations.find(r.requesterOrgId), this.erasureOf(r.id)]);
    return toHolderView(
      r,
      {
        recordRef: record?.recordRef,
        requester: requester ? { id: requester.id, name: requester.name, kind: requester.kind, localGovernmentCode: requester.localGovernmentCode } : undefined,
      },
      this.clock.now(),
      erasure,
    );
  }

  @Transactional()
  async withdraw(actor: Actor, id: string, reason?: string) {
    const r = await this.findVisible(actor, id, true);
    if (!canTransition(r.status, 'withdrawn') || !(await this.transition(r, 'withdrawn', { status_reason: reason ?? null }))) throw new RequestStateError(r.status, 'withdrawn');
    await this.audit.record({ action: 'request.withdraw', resourceType: 'request', resourceId: id, recordId: r.recordId });
    return toRequesterView(await this.repo.findOneByOrFail({ id }), this.clock.now(), null);
  }

  /**
   * An officer of the holder takes an open request (担当する), so two do not work on the same one.
   * One statement decides: of two officers taking it at once exactly one gets it, the other gets
   * `request-already-assigned` (audited as a refusal). Taking one's own again is a no-op.
   */
  async assign(actor: Actor, id: string): Promise<void> {
    const r = await this.findVisible({ ...actor, type: 'user' }, id);
    if (r.assignedTo === actor.id) return;
    if (!isOpen(r.status)) await this.refuseAssignment('request.assign', r, new RequestStateError(r.status, 'taken'));
    const taken = await this.txHost.withTransaction(async () => {
      const [rows] = (await this.txHost.tx.query(
        `UPDATE info_requests SET assigned_to = $3, assigned_at = $4 WHERE id = $1 AND holder_org_id = $2 AND assigned_to IS NULL AND status = ANY($5::text[]) RETURNING id`,
        [id, actor.orgId, actor.id, this.clock.now(), OPEN_STATUSES],
      )) as [{ id: string }[], number];
      if (!rows.length) return false;
      await this.audit.record({ action: 'request.assign', resourceType: 'request', resourceId: id, recordId: r.recordId, details: { assignee: actor.id } });
      return true;
    });
    if (!taken) await this.refuseAssignment('request.assign', r, new RequestAlreadyAssignedError());
  }

  /**
   * Gives a taken request back (担当を外す): the officer who took it, or a supervisor of the holder
   * (who may free a request whose officer is away). Releasing one nobody holds is a no-op.
   */
  async unassign(actor: Actor, id: string): Promise<void> {
    const r = await this.findVisible({ ...actor, type: 'user' }, id);
    if (!r.assignedTo) return;
    if (r.assignedTo !== actor.id && !hasRole(actor, 'supervisor'))
      await this.refuseAssignment('request.unassign', r, new ForbiddenError('insufficient-permission', 'Only the officer who took the request, or a supervisor, can release it.'));
    await this.txHost.withTransaction(async () => {
      const [rows] = (await this.txHost.tx.query(
        `UPDATE info_requests SET assigned_to = NULL, assigned_at = NULL WHERE id = $1 AND holder_org_id = $2 AND assigned_to = $3 RETURNING id`,
        [id, actor.orgId, r.assignedTo],
      )) as [{ id: string }[], number];
      if (rows.length)
        await this.audit.record({ action: 'request.unassign', resourceType: 'request', resourceId: id, recordId: r.recordId, details: { previousAssignee: r.assignedTo } });
    });
  }

  private async refuseAssignment(action: string, r: InfoRequest, err: DomainError): Promise<never> {
    await this.audit.recordDetached({ action, resourceType: 'request', resourceId: r.id, recordId: r.recordId, outcome: 'denied', reasonCode: err.code });
    throw err.markAudited();
  }

  /**
   * The erasure obligations of these requests, with their attestations (read only: the obligations
   * are written by the database when an approval with retrievals ends, the attestations by
   * ErasureService).
   */
  async erasures(ids: string[]): Promise<Map<string, ErasureInfo>> {
    if (!ids.length) return new Map();
    const rows = (await this.txHost.tx.query(
      `SELECT o.request_id, o.due_at, a.attested_at FROM erasure_obligations o LEFT JOIN erasure_attestations a ON a.request_id = o.request_id WHERE o.request_id = ANY($1::uuid[])`,
      [ids],
    )) as { request_id: string; due_at: Date; attested_at: Date | null }[];
    return new Map(rows.map((e) => [e.request_id, { dueAt: new Date(e.due_at), attestedAt: e.attested_at ? new Date(e.attested_at) : null }]));
  }

  async erasureOf(id: string): Promise<ErasureInfo | null> {
    return (await this.erasures([id])).get(id) ?? null;
  }

  /** How many erasure attestations this organisation owes past their due date. */
  async overdueErasures(orgId: string): Promise<number> {
    const rows = (await this.txHost.tx.query(
      `SELECT count(*)::int AS n FROM erasure_obligations o
        WHERE o.requester_org_id = $1 AND o.due_at < $2 AND NOT EXISTS (SELECT 1 FROM erasure_attestations a WHERE a.request_id = o.request_id)`,
      [orgId, this.clock.now()],
    )) as { n: number }[];
    return rows[0]?.n ?? 0;
  }

  /**
   * The one way a request changes state: checks the transition table, moves it only if it is still
   * in the state the caller saw (so of two concurrent callers one wins and the other gets false),
   * and writes the domain event in the same transaction.
   */
  async transition(
    r: Pick<InfoRequest, 'id' | 'status'>,
    to: RequestStatus,
    set: Partial<Record<TransitionColumn, unknown>> = {},
    event?: { type: EventType; organizationIds: string[]; data: EventData },
  ): Promise<boolean> {
    if (!canTransition(r.status, to)) throw new RequestStateError(r.status, to);
    if (!this.txHost.isTransactionActive()) throw new Error('a request changes state only inside a transaction');
    const cols = Object.keys(set) as TransitionColumn[];
    for (const c of cols) if (!TRANSITION_COLUMNS.includes(c)) throw new Error(`transition cannot set ${c}`);
    const assignments = ['status = $3', ...cols.map((c, i) => `${c} = $${i + 4}`), 'updated_at = now()'].join(', ');
    const [, count] = (await this.txHost.tx.query(`UPDATE info_requests SET ${assignments} WHERE id = $1 AND status = $2 RETURNING id`, [
      r.id,
      r.status,
      to,
      ...cols.map((c) => set[c]),
    ])) as [unknown[], number];
    if (count === 0) return false;
    if (event) await this.events.emit(event.type, { type: 'request', id: r.id }, event.organizationIds, event.data);
    return true;
  }

  /** The deadline of a step that starts now, in business days (a new one for the second approval). */
  deadlineFromNow(businessDays: number): { due_at: Date; due_soon_at: Date; due_soon_notified_at: null; overdue_notified_at: null } {
    const d = deadlineAfter(this.clock.now(), businessDays);
    return { due_at: d.dueAt, due_soon_at: d.dueSoonAt, due_soon_notified_at: null, overdue_notified_at: null };
  }

  /**
   * Tells each party once what it must act on: the holder a day before a decision is due and once
   * it is overdue, the requester 24 h before its access window closes (scheduled).
   */
  @Transactional()
  async notifyDeadlines(): Promise<{ dueSoon: number; overdue: number; accessEnding: number }> {
    const now = this.clock.now();
    const dueSoon = (await this.txHost.tx.query(
      `UPDATE info_requests SET due_soon_notified_at = $1
        WHERE status IN ('pending','awaiting_second_approval') AND due_soon_notified_at IS NULL AND due_soon_at <= $1 AND due_at >= $1
        RETURNING id, status, holder_org_id, due_at`,
      [now],
    )) as [{ id: string; status: RequestStatus; holder_org_id: string; due_at: Date }[], number];
    for (const r of dueSoon[0]) {
      await this.events.emit('request.due_soon', { type: 'request', id: r.id }, [r.holder_org_id], { requestId: r.id, status: r.status, dueAt: new Date(r.due_at).toISOString(), audience: 'case_officers' });
    }
    const overdue = (await this.txHost.tx.query(
      `UPDATE info_requests SET overdue_notified_at = $1, due_soon_notified_at = coalesce(due_soon_notified_at, $1)
        WHERE status IN ('pending','awaiting_second_approval') AND overdue_notified_at IS NULL AND due_at < $1
        RETURNING id, status, holder_org_id, due_at`,
      [now],
    )) as [{ id: string; status: RequestStatus; holder_org_id: string; due_at: Date }[], number];
    for (const r of overdue[0]) {
      await this.events.emit('request.overdue', { type: 'request', id: r.id }, [r.holder_org_id], { requestId: r.id, status: r.status, dueAt: new Date(r.due_at).toISOString(), overdue: true, audience: 'supervisors' });
    }
    const ending = (await this.txHost.tx.query(
      `UPDATE info_requests SET access_ending_notified_at = $1
        WHERE status = 'approved' AND access_ending_notified_at IS NULL AND access_until > $1 AND access_until <= $1 + interval '24 hours'
        RETURNING id, status, requester_org_id, access_until, max_retrievals, retrievals`,
      [now],
    )) as [{ id: string; status: RequestStatus; requester_org_id: string; access_until: Date; max_retrievals: number; retrievals: number }[], number];
    for (const r of ending[0]) {
      await this.events.emit('request.access_ending', { type: 'request', id: r.id }, [r.requester_org_id], {
        requestId: r.id,
        status: r.status,
        accessUntil: new Date(r.access_until).toISOString(),
        retrievalsLeft: Math.max(0, r.max_retrievals - r.retrievals),
      });
    }
    return { dueSoon: dueSoon[0].length, overdue: overdue[0].length, accessEnding: ending[0].length };
  }

  /**
   * Expires open requests past their wait and approvals past their window (scheduled). One
   * statement for all of them; every state it leaves may go to `expired` (see TRANSITIONS).
   */
  @Transactional()
  async expireDue(): Promise<number> {
    const [rows] = (await this.txHost.tx.query(
      `UPDATE info_requests SET status = 'expired', updated_at = now(),
              status_reason = CASE WHEN status = 'approved' THEN 'access window ended' ELSE 'not decided in time' END
        WHERE (status = ANY($2::text[]) AND expires_at <= $1)
           OR (status = 'approved' AND access_until <= $1)
        RETURNING id, record_id`,
      [this.clock.now(), OPEN_STATUSES.filter((st) => canTransition(st, 'expired'))],
    )) as [{ id: string; record_id: string }[], number];
    for (const r of rows) {
      await this.audit.record({ action: 'request.expire', resourceType: 'request', resourceId: r.id, recordId: r.record_id, actor: { type: 'system', id: null, orgId: null } });
    }
    return rows.length;
  }

  /** Lapses the requests still open or approved on records just erased (scheduled, after the erasure). */
  @Transactional()
  async lapseForErasedRecords(recordIds: string[]): Promise<number> {
    if (recordIds.length === 0) return 0;
    const [rows] = (await this.txHost.tx.query(
      `UPDATE info_requests SET status = 'expired', status_reason = 'record erased', updated_at = now()
        WHERE record_id = ANY($1::uuid[]) AND status = ANY($2::text[]) RETURNING id, record_id`,
      [recordIds, [...OPEN_STATUSES, 'approved' as const].filter((st) => canTransition(st, 'expired'))],
    )) as [{ id: string; record_id: string }[], number];
    for (const r of rows) {
      await this.audit.record({ action: 'request.expire', resourceType: 'request', resourceId: r.id, recordId: r.record_id, actor: { type: 'system', id: null, orgId: null }, details: { reason: 'record-erased' } });
    }
    return rows.length;
  }

  sensitive(categories: Category[]): Category[] {
    return categories.filter((c) => this.config.policy.sensitiveCategories.includes(c));
  }
}
