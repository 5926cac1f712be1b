import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import PgBoss from 'pg-boss';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import { AuditService } from '../audit/audit.service';
import { KeysService } from '../auth/keys.service';
import { Clock } from '../common/clock';
import { TransactionHost, TypeOrmAdapter } from '../database/transaction';
import { DomainEventsService } from '../events/domain-events.service';
import type { DomainEvent } from '../events/domain-events';
import { MetricsService } from '../metrics/metrics.service';
import { urlProblem } from './address-guard';
import { AttemptResult, postWebhook } from './delivery-http';
import { PING_EVENT_TYPE } from './dto/webhook.dto';
import { messageIdOf, signedHeaders } from './signing';

export const DELIVERY_QUEUE = 'webhook-delivery';
/** An endpoint whose every attempt has failed for this long is disabled. */
export const DISABLE_AFTER_MS = 5 * 86_400_000;
const DISPATCH_BATCH = 200;
/** Delivery workers and the attempts each runs at once (each attempt holds a pool connection only while it records). */
const DELIVERY_WORKERS = 2;
const DELIVERY_BATCH = 16;

interface DeliveryJob {
  deliveryId: string;
}

interface AttemptRow {
  id: string;
  subscription_id: string;
  event_type: string;
  payload: string;
  status: string;
  attempts: number;
  retry_step: number;
  url: string;
  sub_status: 'active' | 'disabled' | 'deleted';
  organization_id: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
}

/**
 * Delivery of domain events to webhooks, through pg-boss.
 *
 * The dispatcher takes undispatched events from the outbox (FOR UPDATE SKIP LOCKED, so with several
 * instances each event is taken once), writes one delivery per matching active subscription of the
 * organisations the event concerns, queues a job for each and marks the events dispatched, all in
 * one transaction. Deliveries made by a ping or a redelivery are queued the same way.
 *
 * A worker sends each job with the Standard Webhooks headers, records the attempt and, on failure,
 * queues the next attempt after the configured delay (Standard Webhooks' schedule by default), in
 * one transaction. After the last retry the delivery has failed; an endpoint whose attempts have all
 * failed for 5 days is disabled.
 */
@Injectable()
export class WebhookDeliveryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private boss?: PgBoss;
  private workers: string[] = [];
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopping = false;
  private tick?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly events: DomainEventsService,
    private readonly audit: AuditService,
    private readonly keys: KeysService,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    private readonly cls: ClsService,
  ) {}

  get active(): boolean {
    return this.boss !== undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.webhooks.deliveryEnabled || !this.config.databaseUrl) return;
    const boss = new PgBoss({ connectionString: this.config.databaseUrl, schema: 'pgboss', max: 3, application_name: 'oie-webhooks' });
    boss.on('error', (err: Error & { code?: string }) => this.logger.warn({ failure: { kind: err.name, sqlState: err.code } }, 'webhook queue error'));
    await boss.start();
    await boss.createQueue(DELIVERY_QUEUE);
    for (let i = 0; i < DELIVERY_WORKERS; i++) {
      this.workers.push(
        await boss.work<DeliveryJob>(DELIVERY_QUEUE, { batchSize: DELIVERY_BATCH, pollingIntervalSeconds: 0.5 }, async (jobs) => {
          // pg-boss waits out the rest of its polling interval after a batch unless the worker was
          // notified meanwhile; a full batch means more are waiting, so the workers go on at once
          // (without this, a burst drained at DELIVERY_WORKERS × DELIVERY_BATCH every 0.5 s: about 70 a second).
          if (jobs.length >= DELIVERY_BATCH) for (const w of this.workers) boss.notifyWorker(w);
          await Promise.all(jobs.map((j) => this.attempt(j.data.deliveryId)));
        }),
      );
    }
    this.boss = boss;
    this.timer = setInterval(() => this.nudge(), this.config.webhooks.dispatchIntervalMs);
    this.timer.unref();
    this.nudge();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.tick?.catch(() => undefined);
    await this.boss?.stop({ graceful: true, wait: true, timeout: 12_000 });
    this.boss = undefined;
  }

  /** Runs the dispatcher now (and once more after a run in progress). Safe to call any time. */
  nudge(): void {
    if (!this.boss || this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.tick = (async () => {
      try {
        do {
          this.again = false;
          const n = await this.dispatchOnce();
          if (n >= DISPATCH_BATCH) this.again = true;
        } while (this.again && !this.stopping);
      } catch (err) {
        const e = err as Error & { code?: string };
        this.logger.warn({ failure: { kind: e.name, sqlState: e.code } }, 'webhook dispatch failed; will try again');
      } finally {
        this.running = false;
      }
    })();
  }

  /** pg-boss's executor bound to the current transaction, so jobs commit or roll back with the rows. */
  private get txDb(): PgBoss.Db {
    return { executeSql: async (text, values) => ({ rows: (await this.txHost.tx.query(text, values)) as unknown[] }) };
  }

  private async enqueue(jobs: { deliveryId: string; startAfter?: Date }[]): Promise<void> {
    if (!jobs.length) return;
    await this.boss!.insert(
      jobs.map((j) => ({
        name: DELIVERY_QUEUE,
        data: { deliveryId: j.deliveryId },
        // The worker records each attempt; a job is retried only if its worker died mid-attempt.
        retryLimit: 2,
        retryDelay: 30,
        expireInSeconds: 60,
        ...(j.startAfter ? { startAfter: j.startAfter } : {}),
      })),
      { db: this.txDb },
    );
  }

  /** One round of the dispatcher; answers how many events and deliveries it handed on. */
  async dispatchOnce(): Promise<number> {
    let handed = 0;
    await this.cls.run(() =>
      this.txHost.withTransaction(async () => {
        const claimed = await this.events.claimUndispatched(DISPATCH_BATCH);
        if (!claimed.length) return;
        const deliveries = await this.deliveriesFor(claimed);
        await this.enqueue(deliveries.map((deliveryId) => ({ deliveryId })));
        await this.events.markDispatched(claimed.map((e) => e.id));
        handed += claimed.length;
      }),
    );
    // Pings and redeliveries: deliveries written by the API and not queued yet.
    await this.cls.run(() =>
      this.txHost.withTransaction(async () => {
        const rows = (await this.txHost.tx.query(
          `SELECT id FROM webhook_deliveries WHERE status = 'pending' AND enqueued_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [DISPATCH_BATCH],
        )) as { id: string }[];
        if (!rows.length) return;
        await this.enqueue(rows.map((r) => ({ deliveryId: r.id })));
        await this.txHost.tx.query(`UPDATE webhook_deliveries SET enqueued_at = now() WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
        handed += rows.length;
      }),
    );
    if (handed) for (const w of this.workers) this.boss?.notifyWorker(w);
    return handed;
  }

  /** Writes the deliveries of these events (one per matching active subscription); answers their ids. */
  private async deliveriesFor(events: DomainEvent[]): Promise<string[]> {
    const orgs = [...new Set(events.flatMap((e) => e.organizationIds))];
    if (!orgs.length) return [];
    const subs = (await this.txHost.tx.query(`SELECT id, organization_id, events FROM webhook_subscriptions WHERE status = 'active' AND organization_id = ANY($1::uuid[])`, [
      orgs,
    ])) as { id: string; organization_id: string; events: string[] }[];
    const cols: [string[], string[], string[], string[], string[]] = [[], [], [], [], []];
    for (const e of events) {
      const payload = JSON.stringify({ type: e.type, timestamp: e.occurredAt, data: e.data });
      for (const s of subs) {
        if (!e.organizationIds.includes(s.organization_id) || !s.events.includes(e.type)) continue;
        cols[0].push(s.id);
        cols[1].push(e.id);
        cols[2].push(e.type);
        cols[3].push(e.occurredAt);
        cols[4].push(payload);
      }
    }
    if (!cols[0].length) return [];
    const rows = (await this.txHost.tx.query(
      `INSERT INTO webhook_deliveries (subscription_id, event_id, event_type, event_occurred_at, payload, enqueued_at, next_attempt_at)
       SELECT s, e, t, o, p, now(), now() FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::text[]) AS u(s, e, t, o, p)
       ON CONFLICT (subscription_id, event_id) DO NOTHING RETURNING id`,
      cols,
    )) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** One attempt of one delivery, recorded with its outcome; the next one queued when it failed. */
  async attempt(deliveryId: string): Promise<void> {
    await this.cls.run(async () => {
      const rows = (await this.txHost.tx.query(
        `SELECT d.id, d.subscription_id, d.event_type, d.payload, d.status, d.attempts, d.retry_step,
                s.url, s.status AS sub_status, s.organization_id, s.secret_sealed, s.previous_secret_sealed, s.previous_secret_expires_at
           FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id WHERE d.id = $1`,
        [deliveryId],
      )) as AttemptRow[];
      const d = rows[0];
      if (!d || d.status !== 'pending') return;
      if (d.sub_status === 'deleted' || (d.sub_status === 'disabled' && d.event_type !== PING_EVENT_TYPE)) {
        await this.txHost.tx.query(`UPDATE webhook_deliveries SET status = 'cancelled', completed_at = now(), next_attempt_at = NULL WHERE id = $1 AND status = 'pending'`, [d.id]);
        this.metrics.countWebhookDelivery('cancelled');
        return;
      }
      const result = await this.send(d);
      await this.record(d, result);
    });
  }

  private async send(d: AttemptRow): Promise<AttemptResult> {
    const { allowedHosts, timeoutMs } = this.config.webhooks;
    // The URL is checked again at every attempt: the allowed list may have changed since registration.
    const problem = urlProblem(d.url, allowedHosts);
    if (problem) return { ok: false, statusCode: null, durationMs: 0, error: `URL not allowed: ${problem}` };
    const secrets = [this.keys.decrypt(d.secret_sealed)];
    if (d.previous_secret_sealed && d.previous_secret_expires_at && new Date(d.previous_secret_expires_at) > this.clock.now())
      secrets.push(this.keys.decrypt(d.previous_secret_sealed));
    const headers = signedHeaders(messageIdOf(d.id), d.payload, secrets);
    return postWebhook(d.url, headers, d.payload, { timeoutMs, allowedHosts });
  }

  /** The rows an UPDATE … RETURNING answered (TypeORM gives `[rows, count]` for updates). */
  private async updated<T>(sql: string, params: unknown[]): Promise<T[]> {
    const res = (await this.txHost.tx.query(sql, params)) as [T[], number];
    return res[0];
  }

  private async record(d: AttemptRow, r: AttemptResult): Promise<void> {
    const schedule = this.config.webhooks.retryScheduleMs;
    let outcome: 'succeeded' | 'failed_attempt' | 'failed' = 'succeeded';
    let disabled = false;
    let enabled = false;
    const done = await this.txHost.withTransaction(async () => {
      const tx = this.txHost.tx;
      // Only the worker that saw this attempt count records it (a job run twice records once).
      const claimed = (await tx.query(`SELECT id FROM webhook_deliveries WHERE id = $1 AND status = 'pending' AND attempts = $2 FOR UPDATE`, [d.id, d.attempts])) as unknown[];
      if (!claimed.length) return false;
      await tx.query(`INSERT INTO webhook_delivery_attempts (delivery_id, status_code, duration_ms, error) VALUES ($1, $2, $3, $4)`, [d.id, r.statusCode, r.durationMs, r.error]);
      if (r.ok) {
        await tx.query(`UPDATE webhook_deliveries SET status = 'succeeded', attempts = attempts + 1, completed_at = now(), next_attempt_at = NULL WHERE id = $1`, [d.id]);
        const [after] = await this.updated<{ status: string }>(
          `UPDATE webhook_subscriptions SET failing_since = NULL,
                  status = CASE WHEN status = 'disabled' AND $2 THEN 'active' ELSE status END,
                  disabled_at = CASE WHEN status = 'disabled' AND $2 THEN NULL ELSE disabled_at END,
                  updated_at = now()
            WHERE id = $1 RETURNING status`,
          [d.subscription_id, d.event_type === PING_EVENT_TYPE],
        );
        enabled = d.sub_status === 'disabled' && after?.status === 'active';
        if (enabled)
          await this.audit.record({
            action: 'webhook.enable',
            resourceType: 'webhook',
            resourceId: d.subscription_id,
            actor: { type: 'system', id: null, orgId: null },
            details: { organizationId: d.organization_id, reason: 'ping succeeded' },
          });
        return true;
      }
      if (d.retry_step < schedule.length) {
        const next = new Date(Date.now() + schedule[d.retry_step]!);
        await tx.query(`UPDATE webhook_deliveries SET attempts = attempts + 1, retry_step = retry_step + 1, next_attempt_at = $2 WHERE id = $1`, [d.id, next]);
        await this.enqueue([{ deliveryId: d.id, startAfter: next }]);
        outcome = 'failed_attempt';
      } else {
        await tx.query(`UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, completed_at = now(), next_attempt_at = NULL WHERE id = $1`, [d.id]);
        outcome = 'failed';
      }
      const now = this.clock.now();
      const [row] = await this.updated<{ status: string; failing_since: Date }>(
        `UPDATE webhook_subscriptions SET failing_since = coalesce(failing_since, $2), updated_at = now() WHERE id = $1 RETURNING status, failing_since`,
        [d.subscription_id, now],
      );
      if (row && row.status === 'active' && now.getTime() - new Date(row.failing_since).getTime() >= DISABLE_AFTER_MS) {
        await tx.query(`UPDATE webhook_subscriptions SET status = 'disabled', disabled_at = $2, updated_at = now() WHERE id = $1`, [d.subscription_id, now]);
        await this.audit.record({
          action: 'webhook.disable',
          resourceType: 'webhook',
          resourceId: d.subscription_id,
          outcome: 'failure',
          reasonCode: 'failing-for-5-days',
          actor: { type: 'system', id: null, orgId: null },
          details: { organizationId: d.organization_id, failingSince: new Date(row.failing_since).toISOString() },
        });
        disabled = true;
      }
      return true;
    });
    if (!done) return;
    this.metrics.countWebhookDelivery(r.ok ? 'succeeded' : outcome);
    if (disabled)
      this.logger.warn(
        { webhookId: d.subscription_id, organizationId: d.organization_id },
        'webhook endpoint disabled: every delivery attempt has failed for 5 days; the organisation re-enables it with a successful ping',
      );
    if (enabled) this.logger.log({ webhookId: d.subscription_id, organizationId: d.organization_id }, 'webhook endpoint enabled again by a successful ping');
  }
}
