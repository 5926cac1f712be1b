import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { ClsService } from 'nestjs-cls';
import { ForbiddenError, UnauthenticatedError } from '../common/domain-error';
import { isDatabaseUnavailable } from '../common/problem-details.filter';
import type { RequestStore } from '../common/request-context';
import { Actor, hasRole } from './actor';
import { AUTHORIZE, AuthorizePolicy, IS_PUBLIC } from './decorators';
import { ExtractJwt } from 'passport-jwt';
import { jwtPart } from './jwt.strategy';
import { PrincipalCache } from './principal-cache';

/** The bearer token of a request, exactly as the passport strategy extracts it. */
const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();


/**
 * The global guard: every route needs a valid token unless marked `@Public()`, and a route
 * without an `@Authorize()` policy is refused to everyone (fail closed).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly cls: ClsService<RequestStore>,
    private readonly cache: PrincipalCache,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest<Request & { user: Actor }>();
    // A token checked moments ago (same bytes, not expired, principal unchanged) is not checked again.
    const token = this.cache.active ? bearerToken(req) : null;
    const known = token ? this.cache.get(token) : undefined;
    if (known) req.user = known;
    else {
      const mark = this.cache.mark();
      await super.canActivate(context);
      // The strategy has just checked this token's signature and claims: its `exp` can be trusted.
      const exp = token ? jwtPart(token, 1).exp : undefined;
      if (token && typeof exp === 'number') this.cache.set(token, req.user, exp, mark);
    }
    const actor = req.user;
    if (this.cls.isActive()) this.cls.set('actor', actor);
    const policy = this.reflector.getAllAndOverride<AuthorizePolicy | undefined>(AUTHORIZE, targets);
    if (!policy) throw new ForbiddenError('no-policy', 'This route has no access policy.');
    if (actor.mfaPending) {
      if (policy.mfaPending) return true;
      throw new ForbiddenError('mfa-required', 'Enrol and verify TOTP before using this route.');
    }
    const byRole = policy.roles?.some((r) => hasRole(actor, r)) ?? false;
    const byScope = policy.scopes?.some((s) => actor.scopes.includes(s)) ?? false;
    if (!byRole && !byScope) throw new ForbiddenError('insufficient-permission', 'Your role or scope does not allow this.');
    return true;
  }

  override handleRequest<T>(err: unknown, user: T | false): T {
    // A database outage while checking the principal is a 503, not a bad token.
    if (err && isDatabaseUnavailable(err)) throw err as Error;
    if (err || !user) throw new UnauthenticatedError('invalid-token', 'A valid access token is required.');
    return user;
  }
}
