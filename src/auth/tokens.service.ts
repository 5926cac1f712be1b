import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import { KeysService } from './keys.service';

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** Issues short-lived ES256 access tokens carrying iss, aud, sub, org, exp, iat, jti and roles or scope. */
@Injectable()
export class TokensService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: KeysService,
  ) {}

  async issue(sub: string, org: string, claims: Record<string, unknown>, ttlSeconds?: number): Promise<IssuedToken> {
    const ttl = ttlSeconds ?? this.config.jwt.accessTokenTtlSeconds;
    const key = this.keys.current;
    const token = await new SignJWT({ org, ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(this.config.jwt.issuer)
      .setAudience(this.config.jwt.audience)
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime(`${ttl}s`)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { access_token: token, token_type: 'Bearer', expires_in: ttl };
  }

  /** A compact JWS over a JSON payload, signed with the service key (disclosure receipts). */
  async signPayload(payload: Record<string, unknown>, typ: string): Promise<string> {
    const key = this.keys.current;
    return new SignJWT(payload)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
      .setIssuer(this.config.jwt.issuer)
      .setIssuedAt()
      .sign(key.privateKey);
  }
}
