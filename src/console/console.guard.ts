import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ClsService } from 'nestjs-cls';
import { parse as parseCookie } from 'cookie';
import { timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { hasRole } from '../auth/actor';
import type { Actor } from '../auth/actor';
import { ForbiddenError } from '../common/domain-error';
import { DENIAL_RECORDER } from '../common/denial-recorder';
import type { DenialRecorder } from '../common/denial-recorder';
import type { RequestStore } from '../common/request-context';
import { OrganizationsService } from '../organizations/organizations.service';
import type { Organization } from '../organizations/organization.entity';
import type { Role, User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { ConsoleRedirect, CsrfError } from './console.errors';
import type { Lang } from './i18n';
import { ConsoleSession, SESSION_COOKIE, SessionsService } from './sessions.service';

export const CONSOLE_PAGE = 'oie:consolePage';
export const LANG_COOKIE = 'oie_lang';

export interface ConsolePagePolicy {
  /** Roles allowed; empty means any signed-in staff member. */
  roles: Role[];
  /** The TOTP enrolment page: only for sessions that still need it. */
  mfaEnrolment?: boolean;
}

export const CONSOLE_PUBLIC = 'oie:consolePublic';

/** A console route open without a session (the sign-in page and form). Everything else needs one. */
export const ConsolePublic = () => SetMetadata(CONSOLE_PUBLIC, true);

/** A console page and who may see it. Pages are closed to everyone else. */
export const ConsolePage = (roles: Role[] = [], opts: { mfaEnrolment?: boolean } = {}) => SetMetadata(CONSOLE_PAGE, { roles, ...opts } satisfies ConsolePagePolicy);

export interface ConsoleRequest extends Request {
  console?: { session: ConsoleSession; user: User; org: Organization; actor: Actor; lang: Lang };
}

export function cookiesOf(req: Request): Record<string, string | undefined> {
  return parseCookie(req.headers.cookie ?? '');
}

export function langOf(req: Request, res?: Response): Lang {
  const asked = typeof req.query.lang === 'string' ? req.query.lang : undefined;
  if (asked === 'ja' || asked === 'en') {
    res?.cookie(LANG_COOKIE, asked, { httpOnly: true, sameSite: 'strict', path: '/console', maxAge: 365 * 86_400_000 });
    return asked;
  }
  return cookiesOf(req)[LANG_COOKIE] === 'en' ? 'en' : 'ja';
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Applied once to the whole console controller. Console pages: a live server-side session (cookie), a user still enabled with the same token
 * version, TOTP completed, the CSRF token on every form, and the page's roles.
 */
@Injectable()
export class ConsoleGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly cls: ClsService<RequestStore>,
    @Inject(DENIAL_RECORDER) private readonly denials: DenialRecorder,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<ConsoleRequest>();
    const res = ctx.switchToHttp().getResponse<Response>();
    res.setHeader('Cache-Control', 'no-store');
    if (this.reflector.get<boolean | undefined>(CONSOLE_PUBLIC, ctx.getHandler())) return true;
    const policy = this.reflector.get<ConsolePagePolicy | undefined>(CONSOLE_PAGE, ctx.getHandler());
    if (!policy) throw new ForbiddenError('no-policy', 'This page has no access policy.');
    const lang = langOf(req, res);
    const token = cookiesOf(req)[SESSION_COOKIE];
    const session = await this.sessions.find(token);
    // Sent to sign in: a refused call (401), on record like every other.
    if (!session) {
      await this.denials.recordDenial(req, 401, token ? 'session-invalid' : 'no-session');
      throw new ConsoleRedirect('/console/login');
    }
    const user = await this.users.findById(session.userId);
    if (!user || user.disabled || user.tokenVersion !== session.tokenVersion) {
      await this.sessions.destroy(token);
      await this.denials.recordDenial(req, 401, 'session-ended');
      throw new ConsoleRedirect('/console/login');
    }
    if (req.method === 'POST') {
      const sent = (req.body as Record<string, unknown> | undefined)?._csrf;
      if (typeof sent !== 'string' || !safeEqual(sent, session.csrfToken)) throw new CsrfError();
    }
    if (session.mfaPending && !policy.mfaEnrolment) throw new ConsoleRedirect('/console/mfa');
    if (!session.mfaPending && policy.mfaEnrolment) throw new ConsoleRedirect('/console');
    const org = await this.organizations.find(user.organizationId);
    if (!org) throw new ConsoleRedirect('/console/login');
    const actor: Actor = { type: 'user', id: user.id, orgId: org.id, orgKind: org.kind, roles: user.roles, scopes: [], mfaPending: session.mfaPending, jti: 'console' };
    if (this.cls.isActive()) this.cls.set('actor', actor);
    req.console = { session, user, org, actor, lang };
    if (policy.roles.length && !policy.roles.some((r) => hasRole(actor, r))) throw new ForbiddenError('insufficient-permission', 'Your role does not allow this page.');
    return true;
  }
}
