import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ApiExcludeController } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig, Category, Purpose } from '../../config/configuration';
import { ApprovalsService } from '../approvals/approvals.service';
import { DecideRequestDto, RevokeDto } from '../approvals/dto/decide-request.dto';
import { hasRole } from '../auth/actor';
import { AuditService } from '../audit/audit.service';
import { Public } from '../auth/decorators';
import { Clock } from '../common/clock';
import { OrganizationsService } from '../organizations/organizations.service';
import { ReleaseRecordsService } from '../release-records/release-records.service';
import { RequestsService } from '../requests/requests.service';
import { SafeguardsService, toSafeguardView } from '../safeguards/safeguards.service';
import { ConsoleRedirect } from './console.errors';
import { ConsoleFilter } from './console.filter';
import { ConsoleGuard, ConsolePage } from './console.guard';
import type { ConsoleRequest } from './console.guard';
import { errorKey, jstDate, one, renderPage } from './console-page';
import type { Form } from './console-page';
import { ConsoleQueries, QUEUE_ASSIGNMENTS, QUEUE_SORTS } from './console.queries';
import type { QueueFilter } from './console.queries';
import { checkConsents } from './consent-check';
import type { RecordConsent } from './consent-check';
import { DICTIONARIES, fill, formatDateTime, formatEraDate, MessageKey } from './i18n';
import { RenderService } from './render.service';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** What an officer entered in the decision form: carried through the summary and back unchanged. */
interface DecisionDraft {
  decision?: 'approve' | 'reject';
  categories?: string[];
  accessUntil?: string;
  maxRetrievals?: string;
  reason?: string;
}

function draftOf(form: Form): DecisionDraft {
  const decision = one(form.decision);
  return {
    decision: decision === 'approve' || decision === 'reject' ? decision : undefined,
    // Taken as sent (nothing cut short): validation refuses what is too long.
    categories: form.categories === undefined ? [] : ([] as string[]).concat(form.categories),
    accessUntil: one(form.accessUntil),
    maxRetrievals: one(form.maxRetrievals),
    reason: one(form.reason),
  };
}

/**
 * The case officer's workbench in the console: the queue (order, filters, who has taken what),
 * the request page (consent check, deadline, decision through a summary and a confirmation) and
 * taking a request (担当する) so two officers do not work on the same one.
 *
 * Taking is advisory against the API (a decision through `POST /api/v1/requests/{id}/decisions` does
 * not look at it) but binding in the console: a request another officer has taken can be decided
 * there only by a supervisor, who is warned first.
 */
@ApiExcludeController()
@Public()
@Controller('console')
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleFilter)
export class OfficerController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly render: RenderService,
    private readonly requests: RequestsService,
    private readonly approvals: ApprovalsService,
    private readonly records: ReleaseRecordsService,
    private readonly organizations: OrganizationsService,
    private readonly safeguards: SafeguardsService,
    private readonly audit: AuditService,
    private readonly queries: ConsoleQueries,
    private readonly clock: Clock,
  ) {}

  private t(req: ConsoleRequest, key: MessageKey): string {
    return DICTIONARIES[req.console!.lang][key];
  }

  // ---- the queue ----------------------------------------------------------------------------

  @Get('queue')
  @ConsolePage(['case_officer'])
  async queue(@Req() req: ConsoleRequest, @Query() q: Record<string, unknown>): Promise<string> {
    const c = req.console!;
    const str = (k: string) => (typeof q[k] === 'string' ? q[k] : undefined);
    const status = str('status');
    const purpose = str('purpose');
    const assignment = str('assigned');
    const sort = str('sort');
    const filter: QueueFilter = {
      status: status && /^[a-z_]{1,40}$/.test(status) ? status : 'open',
      purpose: purpose && purpose in this.config.policy.purposes ? (purpose as Purpose) : undefined,
      overdue: str('overdue') === '1' ? true : undefined,
      assignment: QUEUE_ASSIGNMENTS.find((a) => a === assignment),
      sort: QUEUE_SORTS.find((s) => s === sort) ?? 'due',
    };
    const items = await this.queries.queue(c.actor.orgId, filter, this.clock.now(), c.actor.id);
    return renderPage(this.render, this.clock, req, 'queue', 'queueTitle', 'queue', {
      items: items.map((i) => ({ ...i, purposeLabel: this.config.policy.purposes[i.purpose].label[c.lang], mine: i.assignedTo === c.actor.id })),
      filters: { status: filter.status, purpose: filter.purpose ?? '', overdue: filter.overdue ?? false, assigned: filter.assignment ?? '', sort: filter.sort },
      statuses: ['pending', 'awaiting_second_approval', 'approved', 'rejected', 'withdrawn', 'expired', 'revoked', 'exhausted'],
      purposes: Object.entries(this.config.policy.purposes).map(([key, p]) => ({ key, label: p.label[c.lang] })),
      sorts: [
        { key: 'due', label: this.t(req, 'sortDue') },
        { key: 'received', label: this.t(req, 'sortReceived') },
        { key: 'waiting', label: this.t(req, 'sortWaiting') },
      ],
      sensitive: this.config.policy.sensitiveCategories,
    });
  }

  // ---- one request --------------------------------------------------------------------------

  /** Everything the request page and the decision summary show; reading the record's consents is audited as a read of the record. */
  private async requestModel(req: ConsoleRequest, id: string, draft?: DecisionDraft) {
    const c = req.console!;
    const lang = c.lang;
    const view = await this.requests.getForHolder(c.actor, id);
    const [record, decisions] = await Promise.all([this.records.findById(view.recordId), this.approvals.decisions(id)]);
    const safeguard = (await this.safeguards.findActive(view.requesterOrganizationId)) ?? null;
    const policy = this.config.policy;
    const limits = policy.limits;
    const purposeLabel = (p: string) => policy.purposes[p as Purpose]?.label[lang] ?? '—';
    const first = decisions.find((d) => d.stage === 1);
    const secondStage = view.status === 'awaiting_second_approval';
    const assignment = view.assignment;
    const supervisor = hasRole(c.actor, 'supervisor');
    const takenByOther = !!assignment && assignment.userId !== c.actor.id;
    const mayDecide = this.approvals.mayDecide(c.actor, view, decisions).allowed;
    const names = await this.queries.userNames([...decisions.map((d) => d.decidedBy), ...(assignment ? [assignment.userId] : [])]);

    const consents = (record ? await this.records.consentsOf(record) : []) as RecordConsent[];
    if (record) {
      await this.audit.record({ action: 'record.read', resourceType: 'release_record', resourceId: record.id, recordId: record.id, details: { channel: 'console', fields: ['consents'], requestId: id } });
    }
    const today = jstDate(0, this.clock.now().getTime());
    const check = checkConsents({ categories: view.categories, purpose: view.purpose, requesterOrganizationId: view.requesterOrganizationId }, consents, today);
    const claimsConsent = view.legalGround.kind === 'consent';
    const recipients = await this.queries.orgNames(consents.map((k) => k.recipientOrganizationId).filter((x): x is string => !!x));

    const base: Category[] = secondStage ? (first?.categories ?? view.categories) : view.categories;
    const sensitive = (k: string) => policy.sensitiveCategories.includes(k as Category);
    const maxAccessUntil = secondStage && first?.accessUntil ? jstDate(0, Date.parse(first.accessUntil)) : jstDate(limits.maxAccessWindowDays - 1, this.clock.now().getTime());
    const maxRetrievals = secondStage && first?.maxRetrievals ? first.maxRetrievals : limits.maxRetrievals;
    const defaults = {
      accessUntil: secondStage && first?.accessUntil ? jstDate(0, Date.parse(first.accessUntil)) : jstDate(limits.defaultAccessWindowDays, this.clock.now().getTime()),
      maxRetrievals: String(secondStage && first?.maxRetrievals ? first.maxRetrievals : limits.defaultMaxRetrievals),
    };
    const accessUntil = draft?.accessUntil && DATE.test(draft.accessUntil) ? draft.accessUntil : defaults.accessUntil;
    const windowDays = secondStage ? undefined : limits.maxAccessWindowDays;

    return {
      view,
      lang,
      req: view,
      requester: view.requester ? { name: view.requester.name, kind: view.requester.kind, localGovernmentCode: view.requester.localGovernmentCode } : { name: '—' },
      safeguard: safeguard ? toSafeguardView(safeguard) : null,
      purposeLabel: purposeLabel(view.purpose),
      open: view.status === 'pending' || view.status === 'awaiting_second_approval',
      categoryRows: view.categories.map((k) => ({ key: k, allowed: policy.purposes[view.purpose].categories.includes(k), sensitive: sensitive(k) })),
      consentCheck: {
        claimsConsent,
        rows: check.rows.map((r) => ({ key: r.category, coverage: r.coverage, covered: r.coverage === 'covered' })),
        warning: claimsConsent && !check.allCovered ? this.t(req, check.noneOnFile ? 'consentWarnNone' : 'consentWarnPartial') : undefined,
        allCovered: claimsConsent && check.allCovered,
        read: !!record,
      },
      consents: consents.map((k) => ({
        ...k,
        recipientName: k.recipientOrganizationId ? (recipients.get(k.recipientOrganizationId) ?? '—') : undefined,
        purposeLabels: k.purposes.map(purposeLabel),
      })),
      decisions: decisions.map((d) => ({ ...d, title: this.decisionTitle(req, d), deciderName: names.get(d.decidedBy) ?? '—' })),
      assignment: assignment ? { ...assignment, name: names.get(assignment.userId) ?? '—', mine: !takenByOther } : null,
      takenByOther,
      assignedWarn: takenByOther ? fill(this.t(req, 'assignedToOtherWarn'), { name: names.get(assignment.userId) ?? '—' }) : undefined,
      canRelease: !!assignment && (!takenByOther || supervisor),
      canTake: !assignment && (view.status === 'pending' || view.status === 'awaiting_second_approval'),
      canDecide: mayDecide && (!takenByOther || supervisor),
      decideBlockedByAssignment: mayDecide && takenByOther && !supervisor,
      secondStage,
      canRevoke: view.status === 'approved',
      decideCategories: base.map((k) => ({ key: k, checked: draft?.categories ? draft.categories.includes(k) : true, sensitive: sensitive(k) })),
      draft: {
        decision: draft?.decision,
        accessUntil,
        accessUntilEra: formatEraDate(accessUntil, lang),
        maxRetrievals: draft?.maxRetrievals ?? defaults.maxRetrievals,
        reason: draft?.reason ?? '',
      },
      today,
      maxAccessUntil,
      maxRetrievals,
      windowNote: windowDays
        ? fill(this.t(req, 'maxWindowNote'), { n: windowDays, date: formatEraDate(maxAccessUntil, lang) })
        : `${this.t(req, 'accessUntil')} ≤ ${formatEraDate(maxAccessUntil, lang)}`,
      retrievalsNote: fill(this.t(req, 'maxRetrievalsNote'), { n: maxRetrievals }),
    };
  }

  /** The decision's name in the history: "一次承認" only where a second approval followed from it. */
  private decisionTitle(req: ConsoleRequest, d: { stage: number; decision: string; categories: string[] | null }): string {
    if (d.stage === 3 || d.decision === 'revoke') return this.t(req, 'decisionRevoked');
    if (d.decision === 'reject') return this.t(req, d.stage === 2 ? 'decisionRejectedAtSecond' : 'decisionRejected');
    if (d.stage === 2) return this.t(req, 'secondApproval');
    const needsSecond = (d.categories ?? []).some((k) => this.config.policy.sensitiveCategories.includes(k as Category));
    return this.t(req, needsSecond ? 'firstApproval' : 'decisionApproved');
  }

  @Get('requests/:id')
  @ConsolePage(['case_officer'])
  async requestPage(@Req() req: ConsoleRequest, @Param('id', ParseUUIDPipe) id: string): Promise<string> {
    const model = await this.requestModel(req, id);
    await this.audit.record({ action: 'request.read', resourceType: 'request', resourceId: id, recordId: model.view.recordId, details: { channel: 'console' } });
    return renderPage(this.render, this.clock, req, 'request', 'requestTitle', 'queue', model);
  }

  @Get('requests/:id/record')
  @ConsolePage(['case_officer'])
  async recordPage(@Req() req: ConsoleRequest, @Param('id', ParseUUIDPipe) id: string): Promise<string> {
    const c = req.console!;
    const view = await this.requests.getForHolder(c.actor, id);
    const r = await this.records.get(c.actor, view.recordId); // audited as record.read
    return renderPage(this.render, this.clock, req, 'record', 'recordTitle', 'queue', { r, requestId: id });
  }

  /**
   * The decision form posts here in three steps: `review` (the default) shows a summary and decides
   * nothing, `back` shows the form again with what was entered, and only `confirm` decides.
   */
  @Post('requests/:id/decide')
  @HttpCode(200)
  @ConsolePage(['case_officer'])
  async decide(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: Response, @Param('id', ParseUUIDPipe) id: string, @Body() form: Form): Promise<string> {
    const c = req.console!;
    const draft = draftOf(form);
    const step = one(form.step);
    if (step === 'back') return renderPage(this.render, this.clock, req, 'request', 'requestTitle', 'queue', await this.requestModel(req, id, draft));

    const dto = plainToInstance(DecideRequestDto, {
      decision: draft.decision,
      reason: draft.reason,
      ...(draft.decision === 'approve'
        ? {
            categories: draft.categories,
            accessUntil: draft.accessUntil && DATE.test(draft.accessUntil) ? `${draft.accessUntil}T23:59:59+09:00` : draft.accessUntil,
            maxRetrievals: draft.maxRetrievals && /^\d{1,4}$/.test(draft.maxRetrievals) ? Number(draft.maxRetrievals) : draft.maxRetrievals,
          }
        : {}),
    });
    const invalid = (await validate(dto, { whitelist: true, forbidNonWhitelisted: true })).length > 0;

    if (step !== 'confirm') {
      const model = await this.requestModel(req, id, draft);
      if (!model.canDecide) throw new ConsoleRedirect(`/console/requests/${id}?e=${model.decideBlockedByAssignment ? 'taken' : 'forbidden'}`);
      const beyond =
        draft.decision === 'approve' &&
        (!draft.accessUntil || draft.accessUntil < model.today || draft.accessUntil > model.maxAccessUntil || Number(draft.maxRetrievals) > model.maxRetrievals);
      if (invalid || beyond) {
        res.status(422); // the form again, with what was entered and the error
        return renderPage(this.render, this.clock, req, 'request', 'requestTitle', 'queue', { ...model, error: this.t(req, 'invalid') });
      }
      return renderPage(this.render, this.clock, req, 'decide-confirm', 'confirmTitle', 'queue', {
        ...model,
        summary: {
          approve: draft.decision === 'approve',
          decisionLabel: this.t(req, draft.decision === 'approve' ? (model.secondStage ? 'secondApproval' : 'decisionApproved') : 'decisionRejected'),
          categories: draft.decision === 'approve' ? (draft.categories ?? []) : [],
          accessUntil: draft.decision === 'approve' ? formatDateTime(`${draft.accessUntil}T23:59:59+09:00`, c.lang) : undefined,
          accessUntilGregorian: draft.decision === 'approve' ? `${draft.accessUntil} 23:59 (JST)` : undefined,
          retrievals: draft.decision === 'approve' ? fill(this.t(req, 'retrievalsCount'), { n: Number(draft.maxRetrievals) }) : undefined,
          willNeedSecond: draft.decision === 'approve' && !model.secondStage && (draft.categories ?? []).some((k) => this.config.policy.sensitiveCategories.includes(k as Category)),
        },
        hidden: { ...model.draft, categories: draft.categories ?? [] },
      });
    }

    if (invalid) throw new ConsoleRedirect(`/console/requests/${id}?e=invalid`);
    const view = await this.requests.getForHolder(c.actor, id);
    if (view.assignment && view.assignment.userId !== c.actor.id && !hasRole(c.actor, 'supervisor')) {
      await this.audit.recordDetached({ action: 'request.decide', resourceType: 'request', resourceId: id, recordId: view.recordId, outcome: 'denied', reasonCode: 'request-already-assigned', details: { channel: 'console' } });
      throw new ConsoleRedirect(`/console/requests/${id}?e=taken`);
    }
    try {
      await this.approvals.decide(c.actor, id, dto);
    } catch (err) {
      throw new ConsoleRedirect(`/console/requests/${id}?e=${errorKey(err)}`);
    }
    throw new ConsoleRedirect(`/console/requests/${id}?done=decided`);
  }

  @Post('requests/:id/revoke')
  @ConsolePage(['case_officer'])
  async revoke(@Req() req: ConsoleRequest, @Param('id', ParseUUIDPipe) id: string, @Body() form: Form): Promise<void> {
    const dto = plainToInstance(RevokeDto, { reason: one(form.reason) });
    if ((await validate(dto)).length) throw new ConsoleRedirect(`/console/requests/${id}?e=invalid`);
    try {
      await this.approvals.revoke(req.console!.actor, id, dto.reason);
    } catch (err) {
      throw new ConsoleRedirect(`/console/requests/${id}?e=${errorKey(err)}`);
    }
    throw new ConsoleRedirect(`/console/requests/${id}?done=revoked`);
  }

  // ---- taking a request (担当) ---------------------------------------------------------------

  @Post('requests/:id/take')
  @ConsolePage(['case_officer'])
  async take(@Req() req: ConsoleRequest, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    try {
      await this.requests.assign(req.console!.actor, id);
    } catch (err) {
      const key = errorKey(err);
      throw new ConsoleRedirect(key === 'notfound' ? '/console/queue?e=notfound' : `/console/requests/${id}?e=${key === 'conflict' ? 'taken' : key}`);
    }
    throw new ConsoleRedirect(`/console/requests/${id}?done=taken`);
  }

  @Post('requests/:id/release')
  @ConsolePage(['case_officer'])
  async release(@Req() req: ConsoleRequest, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    try {
      await this.requests.unassign(req.console!.actor, id);
    } catch (err) {
      const key = errorKey(err);
      throw new ConsoleRedirect(key === 'notfound' ? '/console/queue?e=notfound' : `/console/requests/${id}?e=${key}`);
    }
    throw new ConsoleRedirect(`/console/requests/${id}?done=released`);
  }
}
