import { Inject, Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { createHash } from 'node:crypto';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import type { RequestStore } from '../common/request-context';
import { TransactionHost, TypeOrmAdapter } from '../database/transaction';

/** A source address may fail this many times as often as one account from it before it pauses. */
export const SOURCE_FAILURE_FACTOR = 10;

/**
 * Sign-in throttling that cannot be turned against staff (OWASP ASVS 2.2.1): failures count per
 * (account, source address) and per source address, never per account alone, so failures from one
 * address never stop the officer signing in from another. From `LOGIN_MAX_FAILURES` failures of a
 * pair (ten times as many from an address) each further failure pauses that pair (address) for
 * twice as long, 1 minute up to 1 hour. A count starts again after an hour without failures; a
 * successful sign-in clears its pair. Keys hold a user id or a hash of the name typed, never the name.
 */
@Injectable()
export class SignInThrottle {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly cls: ClsService<RequestStore>,
  ) {}

  private source(): string {
    return (this.cls.isActive() ? this.cls.get('sourceIp') : undefined) ?? 'unknown';
  }

  /** The account part of a key: the user id when the user exists, else a hash of the name typed. */
  static account(userId: string | undefined, username: string): string {
    return userId ? `u:${userId}` : `n:${createHash('sha256').update(username.normalize('NFKC').toLowerCase()).digest('base64url')}`;
  }

  private keys(account: string): { pair: string; source: string } {
    const src = this.source();
    return { pair: `${account}|s:${src}`, source: `s:${src}` };
  }

  /** Seconds until this account may be tried again from this address; 0 when it may now. */
  async pausedFor(account: string): Promise<number> {
    const { pair, source } = this.keys(account);
    const rows = (await this.txHost.tx.query(
      `SELECT coalesce(max(extract(epoch FROM blocked_until - now())), 0) AS seconds FROM sign_in_throttle WHERE key = ANY($1::text[]) AND blocked_until > now()`,
      [[pair, source]],
    )) as { seconds: string | number }[];
    return Math.max(0, Number(rows[0]?.seconds ?? 0));
  }

  async failed(account: string): Promise<void> {
    const { pair, source } = this.keys(account);
    const max = this.config.loginMaxFailures;
    await this.bump(pair, max);
    await this.bump(source, max * SOURCE_FAILURE_FACTOR);
  }

  async succeeded(account: string): Promise<void> {
    await this.txHost.tx.query(`DELETE FROM sign_in_throttle WHERE key = $1`, [this.keys(account).pair]);
  }

  /**
   * Forgets every pause and count of one user's account, from every address (an administrator set a
   * new password: whoever tried the old one no longer holds the account back). The per-address
   * counts stay.
   */
  async clearAccount(userId: string): Promise<void> {
    const prefix = SignInThrottle.account(userId, '');
    await this.txHost.tx.query(`DELETE FROM sign_in_throttle WHERE starts_with(key, $1)`, [`${prefix}|`]);
  }

  /** Forgets counts that can no longer pause anything (scheduled): no failure for a day, no pause running. */
  async prune(): Promise<number> {
    const [, count] = (await this.txHost.tx.query(
      `DELETE FROM sign_in_throttle WHERE last_failure_at < now() - interval '1 day' AND (blocked_until IS NULL OR blocked_until < now())`,
    )) as [unknown[], number];
    return count;
  }

  private async bump(key: string, max: number): Promise<void> {
    const count = `(CASE WHEN sign_in_throttle.last_failure_at < now() - interval '1 hour' THEN 0 ELSE sign_in_throttle.failures END + 1)`;
    await this.txHost.tx.query(
      `INSERT INTO sign_in_throttle (key, failures, blocked_until, last_failure_at)
         VALUES ($1, 1, CASE WHEN 1 >= $2 THEN now() + interval '1 minute' ELSE NULL END, now())
       ON CONFLICT (key) DO UPDATE SET
         failures = ${count},
         blocked_until = CASE WHEN ${count} >= $2 THEN now() + least(interval '1 hour', interval '1 minute' * power(2, ${count} - $2)) ELSE sign_in_throttle.blocked_until END,
         last_failure_at = now()`,
      [key, max],
    );
  }
}
