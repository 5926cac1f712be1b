import { Global, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import type { Actor } from './actor';

export const PRINCIPALS_CHANNEL = 'oie_principals';
const MAX_ENTRIES = 20_000;
const RECONNECT_MS = 1_000;
const PING_MS = 10_000;
/** After a change made here, nothing is cached until its notification has surely arrived. */
const SUSPEND_MS = 2_000;

interface Entry {
  actor: Actor;
  until: number;
}

/**
 * Checked access tokens and the principal they stand for, kept in memory for a short time
 * (`PRINCIPAL_CACHE_SECONDS`, never past the token's `exp`), so a busy client does not pay a
 * signature check and a database read on every call.
 *
 * It fails closed: entries are used only while this instance is listening on `oie_principals`,
 * where triggers announce every change of a user's status, roles, organisation or token version,
 * of a client's revocation or scopes and of an organisation's kind, when it commits. Each
 * notification drops every entry; losing the listening connection drops them all and turns the
 * cache off until it is back. A load that raced with a notification is not kept (generation).
 */
@Injectable()
export class PrincipalCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PrincipalCache.name);
  private readonly ttlMs: number;
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private listening = false;
  private suspendedUntil = 0;
  private client?: Client;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private deaf = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.ttlMs = config.jwt.principalCacheSeconds * 1000;
  }

  /** True while entries may be used: enabled, listening, and no local change in progress. */
  get active(): boolean {
    return this.ttlMs > 0 && this.listening && Date.now() >= this.suspendedUntil;
  }

  get size(): number {
    return this.entries.size;
  }

  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  get(token: string): Actor | undefined {
    if (!this.active) return undefined;
    const key = PrincipalCache.keyOf(token);
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.until <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.actor;
  }

  /** Taken before loading a principal; `set` keeps the result only if nothing changed meanwhile. */
  mark(): number {
    return this.generation;
  }

  set(token: string, actor: Actor, expSeconds: number, mark: number): void {
    if (!this.active || mark !== this.generation) return;
    const until = Math.min(Date.now() + this.ttlMs, expSeconds * 1000);
    if (until <= Date.now()) return;
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(PrincipalCache.keyOf(token), { actor: Object.freeze({ ...actor }), until });
  }

  /** Drops every entry; loads in flight are not kept either. */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  /**
   * Called where this instance changes a principal: drops everything and caches nothing for a
   * moment, so even before the commit's notification arrives no stale entry is used here.
   */
  principalChanging(): void {
    this.clear();
    this.suspendedUntil = Date.now() + SUSPEND_MS;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.ttlMs > 0 && this.config.databaseUrl) await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.lost();
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({
      connectionString: this.config.databaseUrl,
      application_name: 'oie-principals',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: 5_000,
    });
    client.on('notification', (n) => {
      if (n.channel === PRINCIPALS_CHANNEL) this.clear();
    });
    const onLost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.lost();
      this.deaf = true;
      this.logger.warn('principal cache off: the listening connection was lost; reconnecting');
      client.end().catch(() => undefined);
      this.schedule(RECONNECT_MS, () => this.connect());
    };
    client.on('error', onLost);
    client.on('end', onLost);
    try {
      await client.connect();
      await client.query(`LISTEN ${PRINCIPALS_CHANNEL}`);
      if (this.stopped) {
        await client.end();
        return;
      }
      this.client = client;
      // Only changes committed after LISTEN are announced: start empty.
      this.clear();
      this.listening = true;
      if (this.deaf) this.logger.log('principal cache on again: listening for principal changes');
      this.deaf = false;
      this.schedule(PING_MS, () => this.ping(client));
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      // Said once per outage; tried again every second.
      if (!this.deaf) this.logger.warn({ failure: { kind: (err as Error).name, code: (err as { code?: string }).code } }, 'principal cache off: cannot listen for principal changes; every token is checked against the database until it can');
      this.deaf = true;
      this.schedule(RECONNECT_MS, () => this.connect());
    }
  }

  /** A silent network loss would not raise an error on an idle connection: ask it something now and then. */
  private async ping(client: Client): Promise<void> {
    if (this.client !== client) return;
    const timeout = setTimeout(() => client.emit('error', new Error('listener ping timed out')), 5_000);
    try {
      await client.query('SELECT 1');
      this.schedule(PING_MS, () => this.ping(client));
    } catch {
      // 'error' handler reconnects
    } finally {
      clearTimeout(timeout);
    }
  }

  private lost(): void {
    this.listening = false;
    this.clear();
  }

  private schedule(ms: number, fn: () => Promise<void>): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void fn(), ms);
    this.timer.unref();
  }
}

/** Global, with no imports: the services that change principals (users, clients) reach it too. */
@Global()
@Module({ providers: [PrincipalCache], exports: [PrincipalCache] })
export class PrincipalCacheModule {}
