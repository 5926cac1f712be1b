import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { Pool } from 'pg';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import type { Request } from 'express';
import { TransactionHost, TypeOrmAdapter } from '../database/transaction';
import type { RequestStore } from '../common/request-context';
import type { DenialRecorder } from '../common/denial-recorder';
import type { Actor } from '../auth/actor';
import { AuditEvent, AuditOutcome } from './audit-event.entity';

export interface AuditInput {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  recordId?: string | null;
  outcome?: AuditOutcome;
  reasonCode?: string | null;
  details?: Record<string, unknown> | null;
  /** Overrides the actor taken from the request (sign-ins, scheduled work). */
  actor?: { type: AuditEvent['actorType']; id: string | null; orgId: string | null };
}

/**
 * Writes audit events. `record` joins the caller's transaction, so the event and the change it
 * describes commit or roll back together (no event, no data). `recordDetached` writes on its own
 * connection: refusals must stay on record even though the refused work is rolled back.
 */
/** The columns an audit event is written with, in the order of `AuditService.values()`. */
export const AUDIT_INSERT_COLUMNS =
  'actor_type, actor_id, organization_id, action, resource_type, resource_id, record_id, outcome, reason_code, request_id, source_ip, details';

const INSERT_SQL = `INSERT INTO audit_events (${AUDIT_INSERT_COLUMNS})
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`;

@Injectable()
export class AuditService implements DenialRecorder, OnApplicationShutdown {
  private readonly logger = new Logger(AuditService.name);
  /**
   * Detached events go through a few connections of their own. They are often written while the
   * same request holds a transaction; from the main pool, a burst larger than the pool would leave
   * every connection held by a request waiting for one more (a deadlock until the pool times out).
   */
  private readonly detachedPool: Pool;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly cls: ClsService<RequestStore>,
  ) {
    this.detachedPool = new Pool({
      connectionString: config.databaseUrl,
      max: 4,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      application_name: 'oie-audit',
    });
    // An idle connection dropped by the server must not bring the process down; the next write reconnects.
    this.detachedPool.on('error', () => undefined);
  }

  /** Connections of the detached-event pool: total, idle, and callers waiting for one (for metrics). */
  detachedPoolStats(): { total: number; idle: number; waiting: number } {
    return { total: this.detachedPool.totalCount, idle: this.detachedPool.idleCount, waiting: this.detachedPool.waitingCount };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.detachedPool.end().catch(() => undefined);
  }

  private build(input: AuditInput): Partial<AuditEvent> {
    const actor: Actor | undefined = this.cls.isActive() ? this.cls.get('actor') : undefined;
    const who = input.actor ?? (actor ? { type: actor.type, id: actor.id, orgId: actor.orgId } : { type: 'anonymous' as const, id: null, orgId: null });
    return {
      actorType: who.type,
      actorId: who.id,
      organizationId: who.orgId,
      action: input.action,
      resourceType: input.resourceType,
      resourceId: input.resourceId ?? null,
      recordId: input.recordId ?? null,
      outcome: input.outcome ?? 'success',
      reasonCode: input.reasonCode ?? null,
      requestId: this.cls.isActive() ? (this.cls.get('requestId') ?? null) : null,
      sourceIp: this.cls.isActive() ? (this.cls.get('sourceIp') ?? null) : null,
      details: input.details ?? null,
    };
  }

  /**
   * The parameters of one event for `AUDIT_INSERT_COLUMNS`, for a statement that writes the event
   * together with the change it describes (the disclosure does so in one round trip).
   */
  values(input: AuditInput): unknown[] {
    const e = this.build(input);
    return [
      e.actorType,
      e.actorId,
      e.organizationId,
      e.action,
      e.resourceType,
      e.resourceId,
      e.recordId,
      e.outcome,
      e.reasonCode,
      e.requestId,
      e.sourceIp,
      e.details === null ? null : JSON.stringify(e.details),
    ];
  }

  private async insert(run: (sql: string, params: unknown[]) => Promise<unknown>, input: AuditInput): Promise<string> {
    const rows = (await run(INSERT_SQL, this.values(input))) as { id: string }[];
    return String(rows[0]?.id);
  }

  /** Inserts the event in the current transaction (or on its own when there is none). */
  async record(input: AuditInput): Promise<string> {
    const manager = this.txHost.tx;
    return this.insert((sql, params) => manager.query(sql, params), input);
  }

  /** Inserts the event outside any transaction in progress (refusals, sign-in failures). */
  async recordDetached(input: AuditInput): Promise<string> {
    return this.insert(async (sql, params) => (await this.detachedPool.query(sql, params)).rows, input);
  }

  async recordDenial(req: Request, status: number, reason: string): Promise<void> {
    try {
      const route = (req.route as { path?: string } | undefined)?.path ?? req.path;
      await this.recordDetached({
        action: 'access.denied',
        resourceType: 'route',
        resourceId: `${req.method} ${route}`,
        outcome: 'denied',
        reasonCode: reason,
        details: { status },
      });
    } catch (err) {
      this.logger.error({ failure: { kind: (err as Error).name, sqlState: (err as { code?: string }).code } }, 'could not audit a denial');
    }
  }
}
