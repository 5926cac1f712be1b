import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig, Category } from '../../config/configuration';
import { hasRole } from '../auth/actor';
import type { Actor } from '../auth/actor';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import type { EventData, EventType } from '../events/domain-events';
import { RequestsService } from '../requests/requests.service';
import { DomainError, ForbiddenError, isPgError, NotFoundError, PG_UNIQUE_VIOLATION } from '../common/domain-error';
import { TransactionHost, TypeOrmAdapter } from '../database/transaction';
import { InfoRequest, RequestStatus } from '../requests/request.entity';
import { toHolderView } from '../requests/request-views';
import { RequestStateError } from '../requests/requests.errors';
import { DecideRequestDto } from './dto/decide-request.dto';
import { Decision } from './decision.entity';
import { CategoriesWidenedError, LimitExceededError, RequestAlreadyDecidedError, SecondApproverRequiredError } from './approvals.errors';

const DAY = 86_400_000;

@Injectable()
export class ApprovalsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly audit: AuditService,
    private readonly requests: RequestsService,
    private readonly clock: Clock,
  ) {}

  private async load(actor: Actor, id: string): Promise<InfoRequest> {
    // Object-level rule in the query: only requests routed to the actor's own agency exist here.
    const r = await this.txHost.tx.getRepository(InfoRequest).findOneBy({ id, holderOrgId: actor.orgId });
    if (!r) {
      await this.audit.recordDetached({ action: 'request.decide', resourceType: 'request', resourceId: id, outcome: 'denied', reasonCode: 'not-found' });
      throw new NotFoundError('request').markAudited();
    }
    return r;
  }

  private async refuse(actor: Actor, r: InfoRequest, err: DomainError): Promise<never> {
    await this.audit.recordDetached({ action: 'request.decide', resourceType: 'request', resourceId: r.id, recordId: r.recordId, outcome: 'denied', reasonCode: err.code });
    throw err.markAudited();
  }

  /**
   * May this person decide this request now? The one answer the API and the console share: an open
   * request, not the requester's own, and for a second approval a supervisor other than the first
   * approver.
   */
  mayDecide(
    actor: Actor,
    r: { status: RequestStatus; requesterOrganizationId: string },
    decisions: { stage: number; decidedBy: string }[],
  ): { allowed: boolean; reason?: 'request-already-decided' | 'requester-cannot-decide' | 'second-approval-rules' } {
    if (actor.orgId === r.requesterOrganizationId) return { allowed: false, reason: 'requester-cannot-decide' };
    if (r.status === 'pending') return { allowed: true };
    if (r.status !== 'awaiting_second_approval') return { allowed: false, reason: 'request-already-decided' };
    const first = decisions.find((d) => d.stage === 1);
    if (!hasRole(actor, 'supervisor') || first?.decidedBy === actor.id) return { allowed: false, reason: 'second-approval-rules' };
    return { allowed: true };
  }

  async decide(actor: Actor, id: string, dto: DecideRequestDto) {
    const first = await this.load(actor, id);
    const stage = first.status === 'awaiting_second_approval' ? 2 : 1;
    const prior = stage === 2 ? await this.txHost.tx.getRepository(Decision).findOneByOrFail({ requestId: id, stage: 1 }) : null;
    const may = this.mayDecide(actor, { status: first.status, requesterOrganizationId: first.requesterOrgId }, prior ? [prior] : []);
    if (may.reason === 'requester-cannot-decide') await this.refuse(actor, first, new ForbiddenError('requester-cannot-decide', 'The requesting organisation cannot decide its own request.'));
    if (may.reason === 'request-already-decided') await this.refuse(actor, first, new RequestAlreadyDecidedError());
    if (may.reason === 'second-approval-rules')
      await this.refuse(
        actor,
        first,
        new SecondApproverRequiredError(hasRole(actor, 'supervisor') ? 'The second approval must come from a different supervisor.' : 'A sensitive category needs a second approval by a supervisor.'),
      );

    const limits = this.config.policy.limits;
    let categories: Category[] = first.categories;
    let accessUntil = new Date(Date.now() + limits.defaultAccessWindowDays * DAY);
    let maxRetrievals = limits.defaultMaxRetrievals;

    if (prior) {
      categories = prior.categories ?? first.categories;
      accessUntil = prior.accessUntil ?? accessUntil;
      maxRetrievals = prior.maxRetrievals ?? maxRetrievals;
    }
    if (dto.decision === 'approve') {
      if (dto.categories) {
        const extra = dto.categories.filter((c) => !categories.includes(c));
        if (extra.length) await this.refuse(actor, first, new CategoriesWidenedError(extra));
        categories = dto.categories;
      }
      if (dto.accessUntil) {
        const until = new Date(dto.accessUntil);
        if (until.getTime() <= Date.now()) await this.refuse(actor, first, new LimitExceededError('accessUntil', 'must be in the future'));
        if (until.getTime() > Date.now() + limits.maxAccessWindowDays * DAY)
          await this.refuse(actor, first, new LimitExceededError('accessUntil', `at most ${limits.maxAccessWindowDays} days from now`));
        if (stage === 2 && until > accessUntil) await this.refuse(actor, first, new LimitExceededError('accessUntil', 'the second approval may not lengthen the window'));
        accessUntil = until;
      }
      if (dto.maxRetrievals !== undefined) {
        if (dto.maxRetrievals > limits.maxRetrievals) await this.refuse(actor, first, new LimitExceededError('maxRetrievals', `at most ${limits.maxRetrievals}`));
        if (stage === 2 && dto.maxRetrievals > maxRetrievals) await this.refuse(actor, first, new LimitExceededError('maxRetrievals', 'the second approval may not raise the limit'));
        maxRetrievals = dto.maxRetrievals;
      }
    }
    const sensitive = categories.filter((c) => this.config.policy.sensitiveCategories.includes(c));
    const next: RequestStatus =
      dto.decision === 'reject' ? 'rejected' : stage === 1 && sensitive.length > 0 ? 'awaiting_second_approval' : 'approved';

    try {
      return await this.txHost.withTransaction(async () => {
        const now = this.clock.now();
        const set: Record<string, unknown> =
          next === 'approved'
            ? { approved_categories: categories, access_until: accessUntil, max_retrievals: maxRetrievals, decided_at: now, status_reason: null }
            : next === 'rejected'
              ? { decided_at: now, status_reason: dto.reason }
              : this.requests.deadlineFromNow(this.config.policy.limits.secondApprovalBusinessDays);
        const event: { type: EventType; organizationIds: string[]; data: EventData } =
          next === 'awaiting_second_approval'
            ? {
                type: 'request.second_approval_required',
                organizationIds: [first.holderOrgId],
                data: { requestId: id, status: next, categories, holderOrganizationId: first.holderOrgId, dueAt: (set.due_at as Date).toISOString() },
              }
            : {
                type: 'request.decided',
                organizationIds: [first.requesterOrgId],
                data: {
                  requestId: id,
                  status: next,
                  decision: next === 'approved' ? 'approved' : 'rejected',
                  categories: next === 'approved' ? categories : [],
                  accessUntil: next === 'approved' ? accessUntil.toISOString() : null,
                  maxRetrievals: next === 'approved' ? maxRetrievals : null,
                },
              };
        if (!(await this.requests.transition(first, next, set, event))) throw new RequestAlreadyDecidedError();
        await this.txHost.tx.getRepository(Decision).insert({
          requestId: id,
          stage,
          decision: dto.decision,
          decidedBy: actor.id,
          organizationId: actor.orgId,
          categories: dto.decision === 'approve' ? categories : null,
          accessUntil: dto.decision === 'approve' ? accessUntil : null,
          maxRetrievals: dto.decision === 'approve' ? maxRetrievals : null,
          reason: dto.reason,
        });
        await this.audit.record({
          action: dto.decision === 'approve' ? (next === 'approved' ? 'request.approve' : 'request.approve.first') : 'request.reject',
          resourceType: 'request',
          resourceId: id,
          recordId: first.recordId,
          details: { stage, status: next, categories: dto.decision === 'approve' ? categories : undefined },
        });
        const updated = await this.txHost.tx.getRepository(InfoRequest).findOneByOrFail({ id });
        return { ...toHolderView(updated, {}, this.clock.now(), await this.requests.erasureOf(id)), decisions: await this.decisions(id) };
      });
    } catch (err) {
      // The unique (request, stage) index is the last line of defence against a double decision.
      if (isPgError(err, PG_UNIQUE_VIOLATION) || err instanceof RequestAlreadyDecidedError) await this.refuse(actor, first, new RequestAlreadyDecidedError());
      throw err;
    }
  }

  async revoke(actor: Actor, id: string, reason: string) {
    const r = await this.load(actor, id);
    return this.txHost.withTransaction(async () => {
      const revoked = r.status === 'approved' && (await this.requests.transition(r, 'revoked', { status_reason: reason }, { type: 'request.revoked', organizationIds: [r.requesterOrgId], data: { requestId: id, status: 'revoked' } }));
      if (!revoked) throw new RequestStateError(r.status, 'revoked');
      await this.txHost.tx.getRepository(Decision).insert({ requestId: id, stage: 3, decision: 'revoke', decidedBy: actor.id, organizationId: actor.orgId, reason });
      await this.audit.record({ action: 'request.revoke', resourceType: 'request', resourceId: id, recordId: r.recordId });
      return toHolderView(await this.txHost.tx.getRepository(InfoRequest).findOneByOrFail({ id }), {}, this.clock.now(), await this.requests.erasureOf(id));
    });
  }

  async decisions(requestId: string) {
    const rows = await this.txHost.tx.getRepository(Decision).find({ where: { requestId }, order: { stage: 'ASC' } });
    return rows.map((d) => ({
      stage: d.stage,
      decision: d.decision,
      decidedBy: d.decidedBy,
      categories: d.categories,
      accessUntil: d.accessUntil?.toISOString() ?? null,
      maxRetrievals: d.maxRetrievals,
      reason: d.reason,
      createdAt: d.createdAt.toISOString(),
    }));
  }

  async decisionsFor(actor: Actor, requestId: string) {
    await this.load(actor, requestId);
    return { items: await this.decisions(requestId), nextCursor: null };
  }
}
