import { Global, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import type { Actor } from './actor';

export const PRINCIPALS_CHANNEL = 'oie_principals';
const MAX_ENTRIES = 20_000;
const RECONNECT_MS = 1_000;
/** A heartbeat goes out through the main pool this often and must come back through the listener. */
const HEARTBEAT_MS = 1_000;
/** Without one of our own heartbeats for this long, nothing is reused (and everything is dropped). */
const HEARTBEAT_STALE_MS = 3_000;
/** Without one for this long, the listening connection is given up and opened again. */
const HEARTBEAT_DEAD_MS = 10_000;
/** After a change made here, nothing is cached for this long: its commit and notification come first. */
const SUSPEND_MS = 10_000;

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
 * where triggers announce every change of a user's status, roles, organisation, id or token
 * version, of a client's revocation or scopes and of an organisation's kind, when it commits. Each
 * notification drops every entry. Liveness is proven end to end: every second a heartbeat is sent
 * through the main pool and must come back through the listener within 3 s, so a silently dead
 * connection or a pooler that does not forward notifications turns the cache off (and empties it)
 * within seconds. A load that raced with a notification is not kept (generation counter).
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
  private readonly instance = randomUUID();
  private beatSeq = 0;
  private lastBeat = 0;
  private beatTimer?: NodeJS.Timeout;
  private beating = false;
  /** Heartbeats stopped coming back (said once, until they return). */
  private silent = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.ttlMs = config.jwt.principalCacheSeconds * 1000;
  }

  /** True while entries may be used: enabled, listening, heard our own heartbeat lately, no local change pending. */
  get active(): boolean {
    const now = Date.now();
    return this.ttlMs > 0 && this.listening && now - this.lastBeat < HEARTBEAT_STALE_MS && now >= this.suspendedUntil;
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
    const frozen = Object.freeze({ ...actor, roles: Object.freeze([...actor.roles]), scopes: Object.freeze([...actor.scopes]) }) as Actor;
    this.entries.set(PrincipalCache.keyOf(token), { actor: frozen, until });
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
    if (this.ttlMs <= 0 || !this.config.databaseUrl) return;
    await this.connect();
    this.beatTimer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.beatTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.beatTimer);
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
      if (n.channel !== PRINCIPALS_CHANNEL) return;
      if (n.payload?.startsWith('hb:')) {
        if (n.payload.startsWith(`hb:${this.instance}:`) && this.client === client) this.heard();
        return;
      }
      this.clear();
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
      // Only changes committed after LISTEN are announced: start empty, and wait for a heartbeat.
      this.clear();
      this.lastBeat = 0;
      this.listening = true;
      void this.beat();
      if (this.deaf) this.logger.log('principal cache on again: listening for principal changes');
      this.deaf = false;
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      // Said once per outage; tried again every second.
      if (!this.deaf) this.logger.warn({ failure: { kind: (err as Error).name, code: (err as { code?: string }).code } }, 'principal cache off: cannot listen for principal changes; every token is checked against the database until it can');
      this.deaf = true;
      this.schedule(RECONNECT_MS, () => this.connect());
    }
  }

  /** One of our heartbeats came back. After a silence, anything held may have missed a change: drop it. */
  private heard(): void {
    const now = Date.now();
    if (now - this.lastBeat >= HEARTBEAT_STALE_MS) this.clear();
    if (this.silent) this.logger.log('principal cache on again: heartbeats come back');
    this.silent = false;
    this.lastBeat = now;
  }


  /**
   * Sends a heartbeat the way a change would travel (another connection, NOTIFY at commit), and
   * gives up a listening connection that has heard nothing for too long.
   */
  private async beat(): Promise<void> {
    if (this.stopped || !this.listening || this.beating) return;
    const client = this.client;
    if (this.lastBeat > 0 && Date.now() - this.lastBeat >= HEARTBEAT_STALE_MS && !this.silent) {
      this.silent = true;
      this.logger.warn('principal cache off: heartbeats are not coming back through the listener; every token is checked against the database');
    }
    if (client && this.lastBeat > 0 && Date.now() - this.lastBeat > HEARTBEAT_DEAD_MS) {
      client.emit('error', new Error('no heartbeat came back'));
      return;
    }
    this.beating = true;
    try {
      await this.dataSource.query('SELECT pg_notify($1, $2)', [PRINCIPALS_CHANNEL, `hb:${this.instance}:${++this.beatSeq}`]);
    } catch {
      // The database is away: no heartbeat comes back, so the cache is off until it does.
    } finally {
      this.beating = false;
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
