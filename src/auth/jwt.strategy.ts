import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import { OrganizationsService } from '../organizations/organizations.service';
import { UsersService } from '../users/users.service';
import type { Actor } from './actor';
import { KeysService } from './keys.service';

interface AccessClaims {
  sub: string;
  org: string;
  jti: string;
  typ?: 'user' | 'client';
  roles?: string[];
  scope?: string;
  tv?: number;
  mfa?: 'pending';
}

/** One JSON part of a compact JWS (0: header, 1: payload), unverified; `{}` when it is not JSON. */
export function jwtPart(raw: string, index: 0 | 1): Record<string, unknown> {
  try {
    const part = JSON.parse(Buffer.from(raw.split('.')[index] ?? '', 'base64url').toString('utf8')) as unknown;
    return part !== null && typeof part === 'object' ? (part as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Bearer tokens: the algorithm is pinned to ES256, the key is chosen by `kid` among the service's
 * own keys only, and `iss`, `aud` and `exp` are checked. The principal is then reloaded, so a
 * disabled user, a revoked client or a token issued before sign-out stops working at once.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    keys: KeysService,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms: ['ES256'],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: 5, maxAge: `${config.jwt.accessTokenTtlSeconds + 5}s` },
      secretOrKeyProvider: (_req: unknown, rawJwt: string, done: (err: Error | null, key?: string) => void) => {
        const key = keys.find(jwtPart(rawJwt, 0).kid);
        if (!key) return done(new Error('unknown key'));
        // A ready KeyObject: handing over the PEM made every request parse it again (3% of CPU in a profile).
        done(null, key.publicKey as unknown as string);
      },
    });
  }

  async validate(claims: AccessClaims): Promise<Actor | false> {
    if (typeof claims.sub !== 'string' || typeof claims.org !== 'string' || typeof claims.jti !== 'string') return false;
    if (claims.typ === 'client') {
      const found = await this.organizations.findActiveClient(claims.sub);
      if (!found || found.org.id !== claims.org) return false;
      const granted = (claims.scope ?? '').split(' ').filter((s) => (found.client.scopes as string[]).includes(s));
      return {
        type: 'client',
        id: found.client.clientId,
        orgId: found.org.id,
        orgKind: found.org.kind,
        roles: [],
        scopes: granted as Actor['scopes'],
        mfaPending: false,
        jti: claims.jti,
      };
    }
    if (claims.typ === 'user') {
      const user = await this.users.findPrincipal(claims.sub);
      if (!user || user.disabled || user.organizationId !== claims.org || user.tokenVersion !== claims.tv) return false;
      return {
        type: 'user',
        id: user.id,
        orgId: user.organizationId,
        orgKind: user.orgKind,
        roles: user.roles,
        scopes: [],
        mfaPending: claims.mfa === 'pending',
        jti: claims.jti,
      };
    }
    return false;
  }
}
