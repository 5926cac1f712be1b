import { Body, Controller, Get, Inject, Param, ParseUUIDPipe, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { randomBytes } from 'node:crypto';
import type { Response } from 'express';
import QRCode from 'qrcode';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import { ReasonDto } from '../safeguards/dto/register-safeguards.dto';
import { AuditLogService, VerificationBusyError } from '../audit/audit-log.service';
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
import { SafeguardsService } from '../safeguards/safeguards.service';
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
import { AuditWorkbench, splitActionChoice } from './audit-workbench';
import { ActorDirectory } from '../audit/actor-directory';
import { DICTIONARIES, MessageKey } from './i18n';
import { errorKey, jstDate, one, renderPage } from './console-page';
import type { Form } from './console-page';
import { RenderService } from './render.service';
import { SESSION_COOKIE, SessionsService } from './sessions.service';

const LOGIN_CSRF_COOKIE = 'oie_login_csrf';

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
    private readonly safeguards: SafeguardsService,
    private readonly auditLog: AuditLogService,
    private readonly auditQuery: AuditQueryService,
    private readonly audit: AuditService,
    private readonly queries: ConsoleQueries,
    private readonly clock: Clock,
    private readonly webhooks: WebhooksService,
    private readonly workbench: AuditWorkbench,
    private readonly actors: ActorDirectory,
  ) {}

  private page(req: ConsoleRequest, view: string, title: MessageKey, active: string, data: Record<string, unknown> = {}): string {
    return renderPage(this.render, this.clock, req, view, title, active, data);
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
    for (const k of ['action', 'outcome', 'actor', 'actorName', 'org', 'record', 'from', 'to', 'cursor']) {
      const v = q[k];
      if (typeof v === 'string' && v !== '') shown[k] = v;
    }
    // The picker's value is an operation (every code it is recorded under) or one code.
    const dto = plainToInstance(AuditSearchDto, { ...shown, action: undefined, ...splitActionChoice(shown.action), limit: 50 });
    const query = Object.entries(shown)
      .filter(([k]) => k !== 'cursor')
      .map(([k, v]) => `&${k}=${encodeURIComponent(v)}`)
      .join('');
    return { dto, query, shown };
  }

  @Get('audit')
  @ConsolePage(['auditor'])
  async auditPage(@Req() req: ConsoleRequest, @Query() q: Record<string, unknown>, verifyResult?: VerifyReport, error?: string): Promise<string> {
    const { dto, query, shown } = this.auditFilters(q);
    const invalid = (await validate(dto)).length > 0;
    if (!invalid && dto.actorName !== undefined) dto.actorIds = await this.actors.idsByName(dto.actorName);
    const page = invalid ? { items: [], nextCursor: null } : await this.auditQuery.search(dto);
    // The event keeps the ids a name resolved to, never the text typed; filters that did not
    // validate are not kept at all (free text typed into an id field could name a person).
    const recorded = invalid ? { invalid: true } : { ...shown, actorName: undefined, ...(dto.actorIds ? { actorIds: dto.actorIds } : {}) };
    await this.audit.record({ action: 'audit.search', resourceType: 'audit_event', details: { channel: 'console', filters: recorded, count: page.items.length } });
    const lang = req.console!.lang;
    return this.page(req, 'audit', 'auditTitle', 'audit', {
      items: await this.workbench.present(page.items, lang),
      actionGroups: this.workbench.picker(lang, shown.action),
      actorFilter: shown.actor ? { named: await this.workbench.actorNamed(shown.actor), clearQuery: query.replace(/&actor=[^&]*/, '').replace(/^&/, '') } : undefined,
      nextCursor: page.nextCursor,
      filters: shown,
      exportQuery: query,
      outcomes: ['success', 'denied', 'failure'],
      checkpoint: await this.auditLog.latestCheckpoint(),
      verifyResult,
      error: error ?? (invalid ? DICTIONARIES[req.console!.lang].invalid : undefined),
    });
  }

  @Post('audit/verify')
  @ConsolePage(['auditor'])
  async auditVerify(@Req() req: ConsoleRequest): Promise<string> {
    let report: VerifyReport;
    try {
      report = await this.auditLog.verify();
    } catch (err) {
      if (!(err instanceof VerificationBusyError)) throw err;
      return this.auditPage(req, {}, undefined, DICTIONARIES[req.console!.lang].verifyBusy);
    }
    await this.audit.recordDetached({ action: 'audit.verify', resourceType: 'audit_log', outcome: report.ok ? 'success' : 'failure', details: { ...report, channel: 'console' } });
    return this.auditPage(req, {}, report);
  }

  @Get('audit/export')
  @ConsolePage(['auditor'])
  async auditExport(@Req() req: ConsoleRequest, @Res() res: Response, @Query() q: Record<string, unknown>): Promise<void> {
    const { dto, shown } = this.auditFilters(q);
    if ((await validate(dto)).length) throw new ConsoleRedirect('/console/audit?e=invalid');
    const format = q.format === 'csv' ? 'csv' : 'ndjson';
    if (dto.actorName !== undefined) dto.actorIds = await this.actors.idsByName(dto.actorName);
    await this.audit.recordDetached({ action: 'audit.export', resourceType: 'audit_event', details: { channel: 'console', filters: { ...shown, actorName: undefined, ...(dto.actorIds ? { actorIds: dto.actorIds } : {}) } } });
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

