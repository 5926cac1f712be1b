import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig, Category } from '../../config/configuration';
import { hasRole } from '../auth/actor';
import type { Actor } from '../auth/actor';
import { AuditService } from '../audit/audit.service';
import { DomainEventsService } from '../events/domain-events.service';
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
    private readonly events: DomainEventsService,
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

  /** Moves the request from `from` to `to` only if nobody else did first: one wins, the other gets 409. */
  private async transition(id: string, from: RequestStatus, set: Partial<Record<string, unknown>>): Promise<boolean> {
    const cols = Object.keys(set);
    const assignments = cols.map((c, i) => `${c} = $${i + 3}`).join(', ');
    const [, count] = (await this.txHost.tx.query(
      `UPDATE info_requests SET ${assignments}, updated_at = now() WHERE id = $1 AND status = $2 RETURNING id`,
      [id, from, ...cols.map((c) => set[c])],
    )) as [unknown[], number];
    return count > 0;
  }

  private async refuse(actor: Actor, r: InfoRequest, err: DomainError): Promise<never> {
    await this.audit.recordDetached({ action: 'request.decide', resourceType: 'request', resourceId: r.id, recordId: r.recordId, outcome: 'denied', reasonCode: err.code });
    throw err.markAudited();
  }

  async decide(actor: Actor, id: string, dto: DecideRequestDto) {
    const first = await this.load(actor, id);
    if (actor.orgId === first.requesterOrgId) await this.refuse(actor, first, new ForbiddenError('requester-cannot-decide', 'The requesting organisation cannot decide its own request.'));
    if (first.status !== 'pending' && first.status !== 'awaiting_second_approval') await this.refuse(actor, first, new RequestAlreadyDecidedError());

    const limits = this.config.policy.limits;
    const stage = first.status === 'pending' ? 1 : 2;
    let categories: Category[] = first.categories;
    let accessUntil = new Date(Date.now() + limits.defaultAccessWindowDays * DAY);
    let maxRetrievals = limits.defaultMaxRetrievals;

    if (stage === 2) {
      const prior = await this.txHost.tx.getRepository(Decision).findOneByOrFail({ requestId: id, stage: 1 });
      if (!hasRole(actor, 'supervisor')) await this.refuse(actor, first, new SecondApproverRequiredError('A sensitive category needs a second approval by a supervisor.'));
      if (prior.decidedBy === actor.id) await this.refuse(actor, first, new SecondApproverRequiredError('The second approval must come from a different supervisor.'));
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
        const set: Record<string, unknown> =
          next === 'approved'
            ? { status: next, approved_categories: categories, access_until: accessUntil, max_retrievals: maxRetrievals, decided_at: new Date(), status_reason: null }
            : next === 'rejected'
              ? { status: next, decided_at: new Date(), status_reason: dto.reason }
              : { status: next };
        if (!(await this.transition(id, first.status, set))) throw new RequestAlreadyDecidedError();
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
        if (next === 'awaiting_second_approval') {
          await this.events.emit('request.second_approval_required', { type: 'request', id }, [first.holderOrgId], {
            requestId: id,
            status: next,
            categories,
            holderOrganizationId: first.holderOrgId,
          });
        } else {
          await this.events.emit('request.decided', { type: 'request', id }, [first.requesterOrgId], {
            requestId: id,
            status: next,
            decision: next === 'approved' ? 'approved' : 'rejected',
            categories: next === 'approved' ? categories : [],
            accessUntil: next === 'approved' ? accessUntil.toISOString() : null,
            maxRetrievals: next === 'approved' ? maxRetrievals : null,
          });
        }
        const updated = await this.txHost.tx.getRepository(InfoRequest).findOneByOrFail({ id });
        return { ...toHolderView(updated), decisions: await this.decisions(id) };
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
      if (!(await this.transition(id, 'approved', { status: 'revoked', status_reason: reason }))) throw new RequestStateError(r.status, 'revoked');
      await this.txHost.tx.getRepository(Decision).insert({ requestId: id, stage: 3, decision: 'revoke', decidedBy: actor.id, organizationId: actor.orgId, reason });
      await this.audit.record({ action: 'request.revoke', resourceType: 'request', resourceId: id, recordId: r.recordId });
      await this.events.emit('request.revoked', { type: 'request', id }, [r.requesterOrgId], { requestId: id, status: 'revoked' });
      return toHolderView(await this.txHost.tx.getRepository(InfoRequest).findOneByOrFail({ id }));
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
