import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';

export const SESSION_COOKIE = 'oie_console';

export interface ConsoleSession {
  idHash: Buffer;
  userId: string;
  csrfToken: string;
  mfaPending: boolean;
  tokenVersion: number;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest();

/**
 * Server-side console sessions: the cookie holds a random token, the database only its SHA-256.
 * A session ends at sign-out, after the idle timeout, after 8 hours, or when the user's token
 * version changes (disabled, roles changed, signed out elsewhere).
 */
@Injectable()
export class SessionsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async create(userId: string, tokenVersion: number, mfaPending: boolean): Promise<{ token: string; session: ConsoleSession }> {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const idHash = hashOf(token);
    await this.dataSource.query(
      `INSERT INTO console_sessions (id_hash, user_id, csrf_token, mfa_pending, token_version, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))`,
      [idHash, userId, csrfToken, mfaPending, tokenVersion, this.config.console.absoluteTimeoutSeconds],
    );
    return { token, session: { idHash, userId, csrfToken, mfaPending, tokenVersion } };
  }

  /** The live session for a cookie token, touching its idle clock; null when absent, idle or expired. */
  async find(token: string | undefined): Promise<ConsoleSession | null> {
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const rows = (await this.dataSource.query(
      `UPDATE console_sessions SET last_seen_at = now()
        WHERE id_hash = $1 AND expires_at > now() AND last_seen_at > now() - make_interval(secs => $2)
        RETURNING user_id, csrf_token, mfa_pending, token_version`,
      [hashOf(token), this.config.console.idleTimeoutSeconds],
    )) as [{ user_id: string; csrf_token: string; mfa_pending: boolean; token_version: number }[], number];
    const row = rows[0][0];
    if (!row) return null;
    return { idHash: hashOf(token), userId: row.user_id, csrfToken: row.csrf_token, mfaPending: row.mfa_pending, tokenVersion: row.token_version };
  }

  async completeMfa(session: ConsoleSession): Promise<void> {
    await this.dataSource.query(`UPDATE console_sessions SET mfa_pending = false WHERE id_hash = $1`, [session.idHash]);
  }

  async destroy(token: string | undefined): Promise<void> {
    if (token) await this.dataSource.query(`DELETE FROM console_sessions WHERE id_hash = $1`, [hashOf(token)]);
  }

  async purgeExpired(): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM console_sessions WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(secs => $1)`,
      [this.config.console.idleTimeoutSeconds],
    );
  }

  cookieOptions(): { httpOnly: true; sameSite: 'strict'; secure: boolean; path: string } {
    return { httpOnly: true, sameSite: 'strict', secure: this.config.console.secureCookie, path: '/console' };
  }
}
