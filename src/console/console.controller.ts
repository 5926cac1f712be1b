import { Body, Controller, Get, Inject, Param, ParseUUIDPipe, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { randomBytes } from 'node:crypto';
import type { Response } from 'express';
import QRCode from 'qrcode';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig, Category, Purpose } from '../../config/configuration';
import { ApprovalsService } from '../approvals/approvals.service';
import { DecideRequestDto, RevokeDto } from '../approvals/dto/decide-request.dto';
import { ReasonDto } from '../safeguards/dto/register-safeguards.dto';
import { AuditLogService } from '../audit/audit-log.service';
import type { VerifyReport } from '../audit/audit-log.service';
import { AuditQueryService } from '../audit/audit-query.service';
import { AuditService } from '../audit/audit.service';
import { AuditSearchDto } from '../audit/dto/audit-query.dto';
import { hasRole } from '../auth/actor';
import { AuthService } from '../auth/auth.service';
import { Public } from '../auth/decorators';
import { DomainError, ForbiddenError } from '../common/domain-error';
import { RateLimit } from '../common/rate-limit';
import { CreateOrganizationDto } from '../organizations/dto/create-organization.dto';
import { AGENCY_KINDS, ORGANIZATION_KINDS } from '../organizations/organization.entity';
import { OrganizationsService, SCOPES_BY_KIND } from '../organizations/organizations.service';
import { ReleaseRecordsService } from '../release-records/release-records.service';
import { RequestsService } from '../requests/requests.service';
import { SafeguardsService, toSafeguardView } from '../safeguards/safeguards.service';
import { CreateUserDto } from '../users/dto/create-user.dto';
import { ROLES } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import { ConsoleRedirect } from './console.errors';
import { ConsoleFilter } from './console.filter';
import { ConsoleGuard, ConsolePage, ConsolePublic, cookiesOf, langOf, safeEqual } from './console.guard';
import { Clock } from '../common/clock';
import type { ConsoleRequest } from './console.guard';
import { ConsoleQueries } from './console.queries';
import { DICTIONARIES, MessageKey } from './i18n';
import { PageContext, RenderService } from './render.service';
import { SESSION_COOKIE, SessionsService } from './sessions.service';

const LOGIN_CSRF_COOKIE = 'oie_login_csrf';
const DAY = 86_400_000;
type Form = Record<string, string | string[] | undefined>;

const FLASH: Record<string, MessageKey> = { decided: 'decided', revoked: 'revoked', verified: 'verified', rejected: 'rejectedMsg', suspended: 'suspended', created: 'created' };
const ERRORS: Record<string, MessageKey> = { conflict: 'conflict', invalid: 'invalid', forbidden: 'forbidden', notfound: 'notFound' };

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function jstDate(offsetDays = 0): string {
  return new Date(Date.now() + 9 * 3600_000 + offsetDays * DAY).toISOString().slice(0, 10);
}

function errorKey(err: unknown): string {
  if (!(err instanceof DomainError)) throw err;
  return err.status === 409 ? 'conflict' : err.status === 403 ? 'forbidden' : err.status === 404 ? 'notfound' : 'invalid';
}

/** The admin console: server-rendered pages, Japanese first, for case officers, reviewers, auditors and administrators. */
@ApiExcludeController()
@Public()
@Controller('console')
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleFilter)
export class ConsoleController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly render: RenderService,
    private readonly sessions: SessionsService,
    private readonly auth: AuthService,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly requests: RequestsService,
    private readonly approvals: ApprovalsService,
    private readonly records: ReleaseRecordsService,
    private readonly safeguards: SafeguardsService,
    private readonly auditLog: AuditLogService,
    private readonly auditQuery: AuditQueryService,
    private readonly audit: AuditService,
    private readonly queries: ConsoleQueries,
    private readonly clock: Clock,
    private readonly webhooks: WebhooksService,
  ) {}

  private page(req: ConsoleRequest, view: string, title: MessageKey, active: string, data: Record<string, unknown> = {}): string {
    const c = req.console!;
    const actor = c.actor;
    const q = req.query as Record<string, string | undefined>;
    const ctx: PageContext = {
      lang: c.lang,
      title,
      path: req.path,
      now: this.clock.now().getTime(),
      csrf: c.session.csrfToken,
      user: { displayName: c.user.displayName, roles: c.user.roles, organizationName: c.org.name },
      nav: {
        queue: hasRole(actor, 'case_officer'),
        safeguards: hasRole(actor, 'safeguard_reviewer'),
        audit: hasRole(actor, 'auditor'),
        admin: hasRole(actor, 'admin'),
        webhooks: hasRole(actor, 'admin') || (hasRole(actor, 'supervisor') && AGENCY_KINDS.includes(c.org.kind)),
        active,
      },
      flash: q.done && FLASH[q.done] ? DICTIONARIES[c.lang][FLASH[q.done]!] : undefined,
      error: q.e && ERRORS[q.e] ? DICTIONARIES[c.lang][ERRORS[q.e]!] : undefined,
      ...data,
    };
    return this.render.render(view, ctx);
  }

  // ---- sign-in ------------------------------------------------------------------------------

  @Get('login')
  @ConsolePublic()
  loginPage(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: Response, @Query('e') e?: string): string {
    const lang = langOf(req, res);
    const csrf = randomBytes(18).toString('base64url');
    res.cookie(LOGIN_CSRF_COOKIE, csrf, { httpOnly: true, sameSite: 'strict', secure: this.config.console.secureCookie, path: '/console' });
    res.setHeader('Cache-Control', 'no-store');
    const error = e === 'failed' ? DICTIONARIES[lang].signInFailed : e === 'csrf' ? DICTIONARIES[lang].csrf : undefined;
    return this.render.render('login', { lang, title: 'signIn', path: req.path, csrf, error });
  }

  @Post('login')
  @ConsolePublic()
  @RateLimit('auth')
  async login(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: Response, @Body() form: Form): Promise<void> {
    const cookie = cookiesOf(req)[LOGIN_CSRF_COOKIE];
    const sent = one(form._csrf);
    if (!cookie || !sent || !safeEqual(cookie, sent)) throw new ConsoleRedirect('/console/login?e=csrf');
    const username = one(form.username) ?? '';
    const password = one(form.password) ?? '';
    const totp = one(form.totp) || undefined;
    if (!username || !password || username.length > 64 || password.length > 256 || (totp !== undefined && !/^\d{6}$/.test(totp))) throw new ConsoleRedirect('/console/login?e=failed');
    let result;
    try {
      result = await this.auth.authenticate({ username, password, totp }, 'console');
    } catch (err) {
      // One message for every failure, a pause after repeated ones included: it never says which part was wrong.
      if (err instanceof DomainError) throw new ConsoleRedirect('/console/login?e=failed');
      throw err;
    }
    const { token } = await this.sessions.create(result.user.id, result.user.tokenVersion, result.mfaEnrollmentRequired);
    res.clearCookie(LOGIN_CSRF_COOKIE, { path: '/console' });
    res.cookie(SESSION_COOKIE, token, this.sessions.cookieOptions());
    throw new ConsoleRedirect(result.mfaEnrollmentRequired ? '/console/mfa' : '/console');
  }

  @Get('mfa')
  @ConsolePage([], { mfaEnrolment: true })
  async mfaPage(@Req() req: ConsoleRequest): Promise<string> {
    const c = req.console!;
    const { otpauthUri, secret } = await this.auth.enrollMfa({ id: c.user.id });
    const qrSvg = await QRCode.toString(otpauthUri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    return this.render.render('mfa', { lang: c.lang, title: 'enrolTitle', path: req.path, csrf: c.session.csrfToken, qrSvg, secret, error: req.query.e ? DICTIONARIES[c.lang].signInFailed : undefined });
  }

  @Post('mfa')
  @ConsolePage([], { mfaEnrolment: true })
  async mfaVerify(@Req() req: ConsoleRequest, @Body() form: Form): Promise<void> {
    const c = req.console!;
    const code = one(form.code) ?? '';
    if (!/^\d{6}$/.test(code)) throw new ConsoleRedirect('/console/mfa?e=1');
    try {
      await this.auth.activateMfa({ id: c.user.id }, code);
    } catch (err) {
      if (err instanceof DomainError) throw new ConsoleRedirect('/console/mfa?e=1');
      throw err;
    }
    await this.sessions.completeMfa(c.session);
    throw new ConsoleRedirect('/console');
  }

  @Post('logout')
  @ConsolePage([], { mfaEnrolment: false })
  async logout(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.sessions.destroy(cookiesOf(req)[SESSION_COOKIE]);
    await this.audit.recordDetached({ action: 'auth.logout', resourceType: 'user', resourceId: req.console!.user.id, details: { channel: 'console' } });
    res.clearCookie(SESSION_COOKIE, { path: '/console' });
    throw new ConsoleRedirect('/console/login');
  }

  @Get()
  @ConsolePage()
  home(@Req() req: ConsoleRequest): void {
    const a = req.console!.actor;
    const to = hasRole(a, 'case_officer') ? 'queue' : hasRole(a, 'safeguard_reviewer') ? 'safeguards' : hasRole(a, 'auditor') ? 'audit' : 'admin';
    throw new ConsoleRedirect(`/console/${to}`);
  }

  // ---- case officers ------------------------------------------------------------------------

  @Get('queue')
  @ConsolePage(['case_officer'])
  async queue(@Req() req: ConsoleRequest, @Query('status') status?: string, @Query('purpose') purpose?: string): Promise<string> {
    const c = req.console!;
    const statusFilter = status && /^[a-z_]{1,40}$/.test(status) ? status : 'open';
    const purposeFilter = purpose && purpose in this.config.policy.purposes ? (purpose as Purpose) : undefined;
    const items = await this.queries.queue(c.actor.orgId, statusFilter, purposeFilter, this.clock.now());
    return this.page(req, 'queue', 'queueTitle', 'queue', {
      items: items.map((i) => ({ ...i, purposeLabel: this.config.policy.purposes[i.purpose].label[c.lang] })),
      filters: { status: statusFilter, purpose: purposeFilter ?? '' },
      statuses: ['pending', 'awaiting_second_approval', 'approved', 'rejected', 'withdrawn', 'expired', 'revoked', 'exhausted'],
      purposes: Object.entries(this.config.policy.purposes).map(([key, p]) => ({ key, label: p.label[c.lang] })),
      sensitive: this.config.policy.sensitiveCategories,
    });
  }

  @Get('requests/:id')
  @ConsolePage(['case_officer'])
  async requestPage(@Req() req: ConsoleRequest, @Param('id', ParseUUIDPipe) id: string): Promise<string> {
    const c = req.console!;
    const view = await this.requests.getForHolder(c.actor, id);
    const [record, decisions, requester] = await Promise.all([
      this.records.findById(view.recordId),
      this.approvals.decisions(id),
      this.organizations.find(view.requesterOrganizationId),
    ]);
    const safeguard = (await this.safeguards.findActive(view.requesterOrganizationId)) ?? null;
    const policy = this.config.policy;
    const purpose = policy.purposes[view.purpose];
    const first = decisions.find((d) => d.stage === 1);
    const secondStage = view.status === 'awaiting_second_approval';
    const canDecide = this.approvals.mayDecide(c.actor, view, decisions).allowed;
    const base = secondStage ? (first?.categories ?? view.categories) : view.categories;
    const names = await this.queries.userNames(decisions.map((d) => d.decidedBy));
    const consents = await Promise.all(
      (record ? await this.records.consentsOf(record) : []).map(async (k) => ({ ...k, recipientName: k.recipientOrganizationId ? (await this.organizations.find(k.recipientOrganizationId))?.name : undefined })),
    );
    await this.audit.record({ action: 'request.read', resourceType: 'request', resourceId: id, recordId: view.recordId, details: { channel: 'console' } });
    return this.page(req, 'request', 'requestTitle', 'queue', {
      req: view,
      requester: requester ? { name: requester.name, kind: requester.kind, localGovernmentCode: requester.localGovernmentCode } : { name: '—' },
      safeguard: safeguard ? toSafeguardView(safeguard) : null,
      purposeLabel: purpose.label[c.lang],
      categoryRows: view.categories.map((k) => ({ key: k, allowed: purpose.categories.includes(k), sensitive: policy.sensitiveCategories.includes(k) })),
      consents,
      decisions: decisions.map((d) => ({ ...d, deciderName: names.get(d.decidedBy) ?? '—' })),
      canDecide,
      secondStage,
      canRevoke: view.status === 'approved',
      decideCategories: base.map((k: Category) => ({ key: k, checked: true, sensitive: policy.sensitiveCategories.includes(k) })),
      today: jstDate(),
      defaultAccessUntil: secondStage && first?.accessUntil ? first.accessUntil.slice(0, 10) : jstDate(policy.limits.defaultAccessWindowDays),
      maxAccessUntil: jstDate(policy.limits.maxAccessWindowDays - 1),
      maxRetrievals: secondStage && first?.maxRetrievals ? first.maxRetrievals : policy.limits.maxRetrievals,
      defaultRetrievals: secondStage && first?.maxRetrievals ? first.maxRetrievals : policy.limits.defaultMaxRetrievals,
    });
  }

  @Get('requests/:id/record')
  @ConsolePage(['case_officer'])
  async recordPage(@Req() req: ConsoleRequest, @Param('id', ParseUUIDPipe) id: string): Promise<string> {
    const c = req.console!;
    const view = await this.requests.getForHolder(c.actor, id);
    const r = await this.records.get(c.actor, view.recordId); // audited as record.read
    return this.page(req, 'record', 'recordTitle', 'queue', { r, requestId: id });
  }

  @Post('requests/:id/decide')
  @ConsolePage(['case_officer'])
  async decide(@Req() req: ConsoleRequest, @Param('id', ParseUUIDPipe) id: string, @Body() form: Form): Promise<void> {
    const c = req.console!;
    const decision = one(form.decision);
    const categories = form.categories === undefined ? undefined : ([] as string[]).concat(form.categories);
    const until = one(form.accessUntil);
    const dto = plainToInstance(DecideRequestDto, {
      decision,
      reason: one(form.reason),
      ...(decision === 'approve'
        ? {
            categories,
            accessUntil: until && /^\d{4}-\d{2}-\d{2}$/.test(until) ? `${until}T23:59:59+09:00` : until,
            maxRetrievals: one(form.maxRetrievals) ? Number(one(form.maxRetrievals)) : undefined,
          }
        : {}),
    });
    if ((await validate(dto, { whitelist: true, forbidNonWhitelisted: true })).length) throw new ConsoleRedirect(`/console/requests/${id}?e=invalid`);
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

  // ---- safeguard reviewers ------------------------------------------------------------------

  @Get('safeguards')
  @ConsolePage(['safeguard_reviewer'])
  async safeguardList(@Req() req: ConsoleRequest): Promise<string> {
    const [submitted, active] = await Promise.all([this.safeguards.listByStatus('submitted'), this.safeguards.listByStatus('active')]);
    const names = await this.queries.orgNames([...submitted, ...active].map((s) => s.organizationId));
    const withName = <T extends { organizationId: string }>(s: T) => ({ ...s, orgName: names.get(s.organizationId) ?? '—' });
    return this.page(req, 'safeguards', 'reviewTitle', 'safeguards', { submitted: submitted.map(withName), active: active.map(withName) });
  }

  @Get('safeguards/:id')
  @ConsolePage(['safeguard_reviewer'])
  async safeguardPage(@Req() req: ConsoleRequest, @Param('id', ParseUUIDPipe) id: string): Promise<string> {
    const c = req.console!;
    const s = await this.queries.safeguard(id);
    if (!s) throw new ConsoleRedirect('/console/safeguards?e=notfound');
    const names = await this.queries.orgNames([s.organizationId]);
    const measureRows = Object.entries(this.config.measures).flatMap(([group, codes]) =>
      Object.entries(codes).map(([code, label]) => ({ label: label[c.lang], present: (s.measures[group as keyof typeof s.measures] ?? []).includes(code) })),
    );
    return this.page(req, 'safeguard', 'reviewTitle', 'safeguards', {
      s,
      orgName: names.get(s.organizationId) ?? '—',
      purposeLabels: s.purposes.map((p) => this.config.policy.purposes[p]?.label[c.lang] ?? p),
      measureRows,
      today: jstDate(1),
      defaultValidUntil: jstDate(this.config.policy.limits.safeguardValidityDays),
    });
  }

  @Post('safeguards/:id/:action')
  @ConsolePage(['safeguard_reviewer'])
  async safeguardAction(@Req() req: ConsoleRequest, @Param('id', ParseUUIDPipe) id: string, @Param('action') action: string, @Body() form: Form): Promise<void> {
    const actor = req.console!.actor;
    const reasonDto = plainToInstance(ReasonDto, { reason: one(form.reason) });
    const reason = (await validate(reasonDto)).length ? '' : reasonDto.reason;
    try {
      if (action === 'verify') {
        const until = one(form.validUntil);
        if (!until || !/^\d{4}-\d{2}-\d{2}$/.test(until)) throw new ConsoleRedirect(`/console/safeguards/${id}?e=invalid`);
        await this.safeguards.verify(actor, id, `${until}T23:59:59+09:00`);
      } else if ((action === 'reject' || action === 'suspend') && reason) {
        await (action === 'reject' ? this.safeguards.reject(actor, id, reason) : this.safeguards.suspend(actor, id, reason));
      } else throw new ConsoleRedirect(`/console/safeguards/${id}?e=invalid`);
    } catch (err) {
      if (err instanceof ConsoleRedirect) throw err;
      throw new ConsoleRedirect(`/console/safeguards/${id}?e=${errorKey(err)}`);
    }
    const done = action === 'verify' ? 'verified' : action === 'reject' ? 'rejected' : 'suspended';
    throw new ConsoleRedirect(`/console/safeguards/${id}?done=${done}`);
  }

  // ---- auditors -----------------------------------------------------------------------------

  private auditFilters(q: Record<string, unknown>): { dto: AuditSearchDto; query: string; shown: Record<string, string> } {
    const shown: Record<string, string> = {};
    for (const k of ['action', 'outcome', 'actor', 'org', 'record', 'from', 'to', 'cursor']) {
      const v = q[k];
      if (typeof v === 'string' && v !== '') shown[k] = v;
    }
    const dto = plainToInstance(AuditSearchDto, { ...shown, limit: 50 });
    const query = Object.entries(shown)
      .filter(([k]) => k !== 'cursor')
      .map(([k, v]) => `&${k}=${encodeURIComponent(v)}`)
      .join('');
    return { dto, query, shown };
  }

  @Get('audit')
  @ConsolePage(['auditor'])
  async auditPage(@Req() req: ConsoleRequest, @Query() q: Record<string, unknown>, verifyResult?: VerifyReport): Promise<string> {
    const { dto, query, shown } = this.auditFilters(q);
    const invalid = (await validate(dto)).length > 0;
    const page = invalid ? { items: [], nextCursor: null } : await this.auditQuery.search(dto);
    await this.audit.record({ action: 'audit.search', resourceType: 'audit_event', details: { channel: 'console', filters: shown, count: page.items.length } });
    const orgNames = await this.queries.orgNames(page.items.map((e) => e.organizationId).filter((x): x is string => !!x));
    return this.page(req, 'audit', 'auditTitle', 'audit', {
      items: page.items.map((e) => ({ ...e, organizationName: e.organizationId ? (orgNames.get(e.organizationId) ?? e.organizationId) : '—' })),
      nextCursor: page.nextCursor,
      filters: shown,
      exportQuery: query,
      outcomes: ['success', 'denied', 'failure'],
      checkpoint: await this.auditLog.latestCheckpoint(),
      verifyResult,
      error: invalid ? DICTIONARIES[req.console!.lang].invalid : undefined,
    });
  }

  @Post('audit/verify')
  @ConsolePage(['auditor'])
  async auditVerify(@Req() req: ConsoleRequest): Promise<string> {
    const report = await this.auditLog.verify();
    await this.audit.recordDetached({ action: 'audit.verify', resourceType: 'audit_log', outcome: report.ok ? 'success' : 'failure', details: { ...report, channel: 'console' } });
    return this.auditPage(req, {}, report);
  }

  @Get('audit/export')
  @ConsolePage(['auditor'])
  async auditExport(@Req() req: ConsoleRequest, @Res() res: Response, @Query() q: Record<string, unknown>): Promise<void> {
    const { dto, shown } = this.auditFilters(q);
    if ((await validate(dto)).length) throw new ConsoleRedirect('/console/audit?e=invalid');
    const format = q.format === 'csv' ? 'csv' : 'ndjson';
    await this.audit.recordDetached({ action: 'audit.export', resourceType: 'audit_event', details: { channel: 'console', filters: shown } });
    res.status(200).setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="audit-events.${format}"`);
    await this.auditQuery.export(dto, format, res);
    res.end();
  }

  // ---- webhooks -----------------------------------------------------------------------------

  /**
   * An organisation's webhooks and recent deliveries: administrators pick any organisation,
   * supervisors of an agency see their own. Read-only; secrets are never shown.
   */
  @Get('webhooks')
  @ConsolePage(['admin', 'supervisor'])
  async webhooksPage(@Req() req: ConsoleRequest, @Query('org') org?: string): Promise<string> {
    const c = req.console!;
    const admin = hasRole(c.actor, 'admin');
    let orgId: string | undefined;
    let error: string | undefined;
    let orgs: { id: string; name: string; kind: string }[] = [];
    if (admin) {
      orgs = (await this.organizations.list({ limit: 200 })).items.filter((o) => o.kind !== 'ministry').map((o) => ({ id: o.id, name: o.name, kind: o.kind }));
      if (org !== undefined && org !== '') {
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(org)) error = DICTIONARIES[c.lang].invalid;
        else if (!(await this.organizations.find(org))) error = DICTIONARIES[c.lang].notFound;
        else orgId = org.toLowerCase();
      }
    } else {
      if (!AGENCY_KINDS.includes(c.org.kind)) throw new ForbiddenError('insufficient-permission', 'Only supervisors of an agency see its webhooks.');
      // A supervisor sees their own agency's; asking for another organisation is a refused probe.
      if (org !== undefined && org !== '' && org !== c.org.id) {
        await this.audit.recordDetached({ action: 'webhook.list', resourceType: 'webhook', outcome: 'denied', reasonCode: 'not-found', details: { channel: 'console' } });
        throw new ConsoleRedirect('/console/webhooks?e=notfound');
      }
      orgId = c.org.id;
    }
    const found = orgId ? await this.webhooks.overview(orgId) : undefined;
    // "HTTP 500" says nothing beside the status code it repeats.
    const overview = found && { ...found, deliveries: found.deliveries.map((d) => ({ ...d, lastError: d.lastError === `HTTP ${d.lastStatusCode}` ? null : d.lastError })) };
    return this.page(req, 'webhooks', 'webhooksTitle', 'webhooks', {
      admin,
      orgs: orgs.map((o) => ({ ...o, selected: o.id === orgId })),
      orgName: orgId ? (orgId === c.org.id ? c.org.name : orgs.find((o) => o.id === orgId)?.name) : undefined,
      overview,
      anyDisabled: overview?.webhooks.some((w) => w.status === 'disabled') ?? false,
      ...(error ? { error } : {}),
    });
  }

  // ---- administrators -----------------------------------------------------------------------

  @Get('admin')
  @ConsolePage(['admin'])
  async adminPage(@Req() req: ConsoleRequest, newClient?: { clientId: string; clientSecret: string }): Promise<string> {
    const [orgs, users] = await Promise.all([this.organizations.list({ limit: 200 }), this.users.list({ limit: 200 })]);
    const withClients = await Promise.all(
      orgs.items.map(async (o) => ({ ...o, clients: await this.organizations.listClients(o.id), canHaveClients: SCOPES_BY_KIND[o.kind].length > 0 })),
    );
    const names = new Map(orgs.items.map((o) => [o.id, o.name]));
    return this.page(req, 'admin', 'adminTitle', 'admin', {
      orgs: withClients,
      users: users.items.map((u) => ({ ...u, orgName: names.get(u.organizationId) ?? '—' })),
      kinds: ORGANIZATION_KINDS,
      roles: ROLES,
      newClient,
    });
  }

  @Post('admin/organizations')
  @ConsolePage(['admin'])
  async adminCreateOrg(@Body() form: Form): Promise<void> {
    const dto = plainToInstance(CreateOrganizationDto, { kind: one(form.kind), name: one(form.name), localGovernmentCode: one(form.localGovernmentCode) || undefined });
    if ((await validate(dto, { whitelist: true, forbidNonWhitelisted: true })).length) throw new ConsoleRedirect('/console/admin?e=invalid');
    try {
      await this.organizations.create(dto);
    } catch (err) {
      throw new ConsoleRedirect(`/console/admin?e=${errorKey(err)}`);
    }
    throw new ConsoleRedirect('/console/admin?done=created');
  }

  @Post('admin/users')
  @ConsolePage(['admin'])
  async adminCreateUser(@Body() form: Form): Promise<void> {
    const dto = plainToInstance(CreateUserDto, {
      username: one(form.username),
      displayName: one(form.displayName),
      organizationId: one(form.organizationId),
      roles: form.roles === undefined ? [] : ([] as string[]).concat(form.roles),
      password: one(form.password),
    });
    if ((await validate(dto, { whitelist: true, forbidNonWhitelisted: true })).length) throw new ConsoleRedirect('/console/admin?e=invalid');
    try {
      await this.users.create(dto);
    } catch (err) {
      throw new ConsoleRedirect(`/console/admin?e=${errorKey(err)}`);
    }
    throw new ConsoleRedirect('/console/admin?done=created');
  }

  @Post('admin/users/:id/:action')
  @ConsolePage(['admin'])
  async adminUserToggle(@Param('id', ParseUUIDPipe) id: string, @Param('action') action: string): Promise<void> {
    if (action !== 'enable' && action !== 'disable') throw new ConsoleRedirect('/console/admin?e=invalid');
    try {
      await this.users.update(id, { disabled: action === 'disable' });
    } catch (err) {
      throw new ConsoleRedirect(`/console/admin?e=${errorKey(err)}`);
    }
    throw new ConsoleRedirect('/console/admin?done=created');
  }

  @Post('admin/organizations/:id/clients')
  @ConsolePage(['admin'])
  async adminCreateClient(@Req() req: ConsoleRequest, @Param('id', ParseUUIDPipe) id: string): Promise<string> {
    let created;
    try {
      created = await this.organizations.createClient(id, {});
    } catch (err) {
      throw new ConsoleRedirect(`/console/admin?e=${errorKey(err)}`);
    }
    return this.adminPage(req, { clientId: created.clientId, clientSecret: created.clientSecret });
  }

  @Post('admin/clients/:clientId/revoke')
  @ConsolePage(['admin'])
  async adminRevokeClient(@Param('clientId') clientId: string): Promise<void> {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(clientId)) throw new ConsoleRedirect('/console/admin?e=notfound');
    try {
      await this.organizations.revokeClient(clientId);
    } catch (err) {
      throw new ConsoleRedirect(`/console/admin?e=${errorKey(err)}`);
    }
    throw new ConsoleRedirect('/console/admin?done=created');
  }
}

