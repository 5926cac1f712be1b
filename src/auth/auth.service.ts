import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { authenticator } from 'otplib';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import { AuditService } from '../audit/audit.service';
import { TransactionHost, Transactional, TypeOrmAdapter } from '../database/transaction';
import { OrganizationsService } from '../organizations/organizations.service';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import type { Actor } from './actor';
import { InvalidClientError, InvalidScopeError, MfaAlreadyEnrolledError, MfaNotStartedError, SignInFailedError, SignInThrottledError } from './auth.errors';
import { DomainError } from '../common/domain-error';
import { SignInThrottle } from './sign-in-throttle';
import { LoginDto, TokenRequestDto } from './dto/token-request.dto';
import { KeysService } from './keys.service';
import { burnVerification, hashSecret, verifySecret } from './passwords';
import { IssuedToken, TokensService } from './tokens.service';
import { PrincipalCache } from './principal-cache';
import { BOOTSTRAP_LOCK_KEY } from '../database/data-source';

authenticator.options = { window: 1, step: 30, digits: 6 };

const MFA_PENDING_TTL_SECONDS = 600;

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly tokens: TokensService,
    private readonly keys: KeysService,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly audit: AuditService,
    private readonly principals: PrincipalCache,
    private readonly throttle: SignInThrottle,
  ) {}

  /** On an empty database, creates the first administrator (and the ministry it belongs to). */
  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.countAdmins()) > 0) return;
    const admin = this.config.bootstrapAdmin;
    if (!admin) {
      this.logger.warn('no administrator exists: set BOOTSTRAP_ADMIN_USERNAME and BOOTSTRAP_ADMIN_PASSWORD and restart to create one');
      return;
    }
    const created = await this.txHost.withTransaction(async () => {
      // Two instances starting together on an empty database: one creates, the other finds it done.
      await this.txHost.tx.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK_KEY]);
      if ((await this.users.countAdmins()) > 0) return false;
      const orgs = this.txHost.tx.getRepository(Organization);
      let ministry = await orgs.findOneBy({ kind: 'ministry' });
      ministry ??= await orgs.save(orgs.create({ kind: 'ministry', name: '法務省', localGovernmentCode: null, parentId: null }));
      const repo = this.txHost.tx.getRepository(User);
      await repo.save(
        repo.create({ username: admin.username, displayName: 'Administrator', organizationId: ministry.id, roles: ['admin'], passwordHash: await hashSecret(admin.password) }),
      );
      await this.audit.record({ action: 'user.bootstrap', resourceType: 'user', resourceId: admin.username, actor: { type: 'system', id: null, orgId: ministry.id } });
      return true;
    });
    if (created) this.logger.log('created the bootstrap administrator; sign in and enrol TOTP');
  }

  async clientCredentials(dto: TokenRequestDto): Promise<IssuedToken & { scope: string }> {
    const found = await this.organizations.verifyClient(dto.client_id, dto.client_secret);
    if (!found) {
      await this.audit.recordDetached({ action: 'auth.token', resourceType: 'client', resourceId: dto.client_id.slice(0, 100), outcome: 'denied', reasonCode: 'invalid-client' });
      throw new InvalidClientError().markAudited();
    }
    const { client, org } = found;
    let scopes: string[] = client.scopes;
    if (dto.scope) {
      const asked = [...new Set(dto.scope.split(' '))];
      if (asked.some((s) => !(client.scopes as string[]).includes(s))) {
        await this.audit.recordDetached({ action: 'auth.token', resourceType: 'client', resourceId: client.clientId, outcome: 'denied', reasonCode: 'invalid-scope', actor: { type: 'client', id: client.clientId, orgId: org.id } });
        throw new InvalidScopeError().markAudited();
      }
      scopes = asked;
    }
    const issued = await this.tokens.issue(client.clientId, org.id, { typ: 'client', scope: scopes.join(' ') });
    await this.audit.recordDetached({
      action: 'auth.token',
      resourceType: 'client',
      resourceId: client.clientId,
      actor: { type: 'client', id: client.clientId, orgId: org.id },
    });
    return { ...issued, scope: scopes.join(' ') };
  }

  /**
   * Checks password and TOTP (when enrolled), throttled by (account, source address) and by source
   * address, and audited; answers the user and whether TOTP still has to be enrolled. Shared by the
   * API sign-in and the console.
   *
   * Every failure answers the same `sign-in-failed`: unknown user, disabled, wrong password, and,
   * for an account with TOTP, a missing or wrong code, so that the answer never confirms a
   * password. One argon2 verification runs on every path (a dummy one when there is no user), so
   * the time does not tell them apart either. Only the audit event says which it was.
   */
  async authenticate(dto: LoginDto, channel: 'api' | 'console' = 'api'): Promise<{ user: User; mfaEnrollmentRequired: boolean }> {
    const user = await this.users.findByUsername(dto.username);
    const account = SignInThrottle.account(user?.id, dto.username);
    const deny = async (reason: string, error: DomainError) => {
      await this.audit.recordDetached({
        action: 'auth.login',
        resourceType: 'user',
        resourceId: user?.id ?? null,
        outcome: 'denied',
        reasonCode: reason,
        actor: { type: user ? 'user' : 'anonymous', id: user?.id ?? null, orgId: user?.organizationId ?? null },
        details: { channel },
      });
      return error.markAudited();
    };
    const paused = await this.throttle.pausedFor(account);
    if (paused > 0) {
      await burnVerification(dto.password);
      throw await deny('throttled', new SignInThrottledError(paused));
    }
    const passwordOk = user && !user.disabled ? await verifySecret(user.passwordHash, dto.password) : await burnVerification(dto.password);
    let reason: string | null = null;
    if (!user) reason = 'unknown-user';
    else if (user.disabled) reason = 'disabled';
    else if (!passwordOk) reason = 'bad-password';
    else if (user.totpEnabled && !dto.totp) reason = 'mfa-code-missing';
    else if (user.totpEnabled && !(await this.acceptTotp(user, dto.totp!))) reason = 'bad-totp';
    if (reason !== null || !user) {
      await this.throttle.failed(account);
      throw await deny(reason ?? 'unknown-user', new SignInFailedError());
    }
    await this.throttle.succeeded(account);
    await this.audit.recordDetached({
      action: 'auth.login',
      resourceType: 'user',
      resourceId: user.id,
      reasonCode: user.totpEnabled ? null : 'mfa-enrollment-required',
      actor: { type: 'user', id: user.id, orgId: user.organizationId },
      details: { channel },
    });
    return { user, mfaEnrollmentRequired: !user.totpEnabled };
  }

  async login(dto: LoginDto): Promise<IssuedToken & { mfaEnrollmentRequired?: boolean }> {
    const { user, mfaEnrollmentRequired } = await this.authenticate(dto);
    const base = { typ: 'user', roles: user.roles, tv: user.tokenVersion };
    if (mfaEnrollmentRequired) {
      const issued = await this.tokens.issue(user.id, user.organizationId, { ...base, mfa: 'pending' }, MFA_PENDING_TTL_SECONDS);
      return { ...issued, mfaEnrollmentRequired: true };
    }
    return this.tokens.issue(user.id, user.organizationId, base);
  }

  /** Accepts a TOTP code once: the time step must be newer than the last one accepted. */
  private async acceptTotp(user: User, code: string): Promise<boolean> {
    if (!user.totpSecret) return false;
    const secret = this.keys.decrypt(user.totpSecret);
    const delta = authenticator.checkDelta(code, secret);
    if (delta === null) return false;
    const step = Math.floor(Date.now() / 30_000) + delta;
    const res = await this.users.repo.query(
      `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING id`,
      [user.id, step],
    );
    // TypeORM answers an UPDATE on PostgreSQL with [rows, affectedCount].
    return (res as [unknown[], number])[1] > 0;
  }

  @Transactional()
  async enrollMfa(actor: Pick<Actor, 'id'>): Promise<{ otpauthUri: string; secret: string }> {
    const user = await this.users.repo.findOne({ where: { id: actor.id }, lock: { mode: 'pessimistic_write' } });
    if (!user) throw new SignInFailedError();
    if (user.totpEnabled) throw new MfaAlreadyEnrolledError();
    const secret = authenticator.generateSecret(20);
    await this.users.repo.update({ id: user.id }, { totpSecret: this.keys.encrypt(secret) });
    await this.audit.record({ action: 'auth.mfa.enroll', resourceType: 'user', resourceId: user.id, actor: { type: 'user', id: user.id, orgId: user.organizationId } });
    return { otpauthUri: authenticator.keyuri(user.username, 'OIE 情報連携', secret), secret };
  }

  async verifyMfa(actor: Actor, code: string): Promise<IssuedToken> {
    const user = await this.activateMfa(actor, code);
    return this.tokens.issue(user.id, user.organizationId, { typ: 'user', roles: user.roles, tv: user.tokenVersion });
  }

  /** Activates TOTP with a first valid code; answers the user. */
  async activateMfa(actor: Pick<Actor, 'id'>, code: string): Promise<User> {
    const user = await this.users.findById(actor.id);
    if (!user) throw new SignInFailedError();
    if (user.totpEnabled) throw new MfaAlreadyEnrolledError();
    if (!user.totpSecret) throw new MfaNotStartedError();
    const account = SignInThrottle.account(user.id, user.username);
    const paused = await this.throttle.pausedFor(account);
    if (paused > 0) {
      await this.audit.recordDetached({ action: 'auth.mfa.verify', resourceType: 'user', resourceId: user.id, outcome: 'denied', reasonCode: 'throttled' });
      throw new SignInThrottledError(paused).markAudited();
    }
    if (!(await this.acceptTotp(user, code))) {
      await this.throttle.failed(account);
      await this.audit.recordDetached({ action: 'auth.mfa.verify', resourceType: 'user', resourceId: user.id, outcome: 'denied', reasonCode: 'bad-totp' });
      throw new SignInFailedError().markAudited();
    }
    await this.users.repo.update({ id: user.id }, { totpEnabled: true });
    await this.throttle.succeeded(account);
    await this.audit.recordDetached({ action: 'auth.mfa.verify', resourceType: 'user', resourceId: user.id, actor: { type: 'user', id: user.id, orgId: user.organizationId } });
    return user;
  }

  /** Ends every token of this user issued so far. */
  async logout(actor: Actor): Promise<void> {
    if (actor.type !== 'user') return;
    this.principals.principalChanging();
    await this.users.repo.increment({ id: actor.id }, 'tokenVersion', 1);
    await this.audit.recordDetached({ action: 'auth.logout', resourceType: 'user', resourceId: actor.id });
  }
}
