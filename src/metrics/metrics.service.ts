import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { NextFunction, Request, Response } from 'express';
import type { Pool } from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import { AuditService } from '../audit/audit.service';
import { WitnessService } from '../audit/witness.service';
import { Clock } from '../common/clock';

export const WEBHOOK_OUTCOMES = ['succeeded', 'failed_attempt', 'failed', 'cancelled'] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

/** Age classes of undecided requests, in days: [label, from, to). */
const PENDING_AGES: [string, number, number | null][] = [
  ['lt_1d', 0, 1],
  ['1d_7d', 1, 7],
  ['7d_14d', 7, 14],
  ['ge_14d', 14, null],
];

/**
 * The service's Prometheus metrics, in a registry of its own (one per application). Labels are
 * route templates, methods, status codes and fixed classes only: never an id, never personal data.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly scrapeFailures: Counter<'source'>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly witnesses: WitnessService,
    private readonly clock: Clock,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request durations by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.scrapeFailures = new Counter({
      name: 'oie_metrics_scrape_failures_total',
      help: 'Scrapes that could not read a source (the database), by source.',
      labelNames: ['source'],
      registers,
    });

    const pool = () => (this.dataSource.driver as unknown as { master?: Pool }).master;
    const poolGauge = (name: string, help: string, read: (p: Pool) => number, detached: () => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['pool'],
        registers,
        collect() {
          const p = pool();
          this.set({ pool: 'main' }, p ? read(p) : 0);
          this.set({ pool: 'audit' }, detached());
        },
      });
    poolGauge('oie_db_pool_connections', 'Open database connections, by pool.', (p) => p.totalCount, () => this.audit.detachedPoolStats().total);
    poolGauge('oie_db_pool_connections_in_use', 'Database connections checked out, by pool.', (p) => p.totalCount - p.idleCount, () => {
      const s = this.audit.detachedPoolStats();
      return s.total - s.idle;
    });
    poolGauge('oie_db_pool_waiting', 'Callers waiting for a database connection, by pool.', (p) => p.waitingCount, () => this.audit.detachedPoolStats().waiting);
    const lag = () => this.witnesses.snapshot();
    new Gauge({
      name: 'oie_audit_witness_lag_leaves',
      help: 'Leaves of the log a witness has not yet cosigned, by witness name.',
      labelNames: ['witness'],
      registers,
      collect() {
        for (const w of lag()) this.set({ witness: w.witness }, w.lagLeaves);
      },
    });
    new Gauge({
      name: 'oie_audit_witness_lag_seconds',
      help: 'Seconds a witness has been behind the log (0 when it has cosigned the newest checkpoint), by witness name.',
      labelNames: ['witness'],
      registers,
      collect() {
        for (const w of lag()) this.set({ witness: w.witness }, w.lagSeconds);
      },
    });
    new Gauge({ name: 'oie_db_pool_max', help: 'Size limit of the main database pool.', registers }).set(config.databasePoolSize);

    // Gauges read from the database once per scrape (one statement), filled in by `snapshot()`.
    this.dbUp = new Gauge({ name: 'oie_database_up', help: '1 when the last scrape could read the database.', registers });
    this.unsealed = new Gauge({ name: 'oie_audit_events_unsealed', help: 'Audit events committed but not yet sealed into the Merkle log.', registers });
    this.sinceCheckpoint = new Gauge({ name: 'oie_audit_seconds_since_checkpoint', help: 'Seconds since the newest signed checkpoint (absent before the first).', registers });
    this.treeSize = new Gauge({ name: 'oie_audit_tree_size', help: 'Leaves covered by the newest signed checkpoint.', registers });
    this.webhookDeliveries = new Counter({
      name: 'oie_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: succeeded, failed_attempt (will be retried), failed (no retry left), cancelled (endpoint deleted or disabled).',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of WEBHOOK_OUTCOMES) this.webhookDeliveries.inc({ outcome }, 0);
    this.webhookOldestPending = new Gauge({
      name: 'oie_webhook_oldest_pending_seconds',
      help: 'Age of the oldest work not yet delivered: an event not handed to the dispatcher, or a delivery still pending (0 when none).',
      registers,
    });
    this.pending = new Gauge({ name: 'oie_requests_pending', help: 'Undecided requests (pending or awaiting a second approval), by age since creation.', labelNames: ['age'], registers });
    this.overdue = new Gauge({ name: 'oie_requests_overdue', help: 'Undecided requests past their dueAt (business-day deadline).', registers });
    this.erasure = new Gauge({
      name: 'oie_erasure_attestations',
      help: 'Erasure attestations municipalities owe and have not given, by state (due: before its due date; overdue: past it).',
      labelNames: ['status'],
      registers,
    });
  }

  private readonly erasure: Gauge<'status'>;

  private readonly overdue: Gauge;

  private readonly dbUp: Gauge;
  private readonly unsealed: Gauge;
  private readonly sinceCheckpoint: Gauge;
  private readonly treeSize: Gauge;
  private readonly pending: Gauge<'age'>;
  private readonly webhookDeliveries: Counter<'outcome'>;
  private readonly webhookOldestPending: Gauge;

  /** Counts one webhook delivery attempt (or cancellation) by outcome. */
  countWebhookDelivery(outcome: WebhookOutcome): void {
    this.webhookDeliveries.inc({ outcome });
  }

  /** Express middleware: times every request and labels it with its route template once answered. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const end = this.httpDuration.startTimer();
    res.once('finish', () => end({ method: req.method, route: routeTemplate(req), status_code: String(res.statusCode) }));
    next();
  };

  /** The text exposition, after reading the database-backed gauges. */
  async scrape(): Promise<string> {
    await this.readDatabase();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async readDatabase(): Promise<void> {
    const buckets = PENDING_AGES.map(
      ([, from, to], i) =>
        `(SELECT count(*) FROM info_requests WHERE status IN ('pending', 'awaiting_second_approval') AND created_at <= now() - make_interval(days => ${from})${
          to === null ? '' : ` AND created_at > now() - make_interval(days => ${to})`
        }) AS p${i}`,
    ).join(',\n           ');
    try {
      const [row] = (await this.dataSource.query(
        `SELECT
           (SELECT count(*) FROM audit_events WHERE leaf_index IS NULL) AS unsealed,
           (SELECT extract(epoch FROM now() - max(created_at)) FROM audit_checkpoints) AS since_checkpoint,
           (SELECT max(tree_size) FROM audit_checkpoints) AS tree_size,
           greatest(
             (SELECT extract(epoch FROM now() - occurred_at) FROM domain_events WHERE dispatched_at IS NULL ORDER BY seq LIMIT 1),
             (SELECT extract(epoch FROM now() - min(pending_since)) FROM webhook_deliveries WHERE status = 'pending'),
             0
           ) AS webhook_oldest_pending,
           (SELECT count(*) FROM info_requests WHERE status IN ('pending', 'awaiting_second_approval') AND due_at < $1) AS overdue,
           (SELECT count(*) FROM erasure_obligations o WHERE o.due_at >= $1 AND NOT EXISTS (SELECT 1 FROM erasure_attestations a WHERE a.request_id = o.request_id)) AS erasure_due,
           (SELECT count(*) FROM erasure_obligations o WHERE o.due_at < $1 AND NOT EXISTS (SELECT 1 FROM erasure_attestations a WHERE a.request_id = o.request_id)) AS erasure_overdue,
           ${buckets}`,
        [this.clock.now()],
      )) as Record<string, string | null>[];
      this.dbUp.set(1);
      this.unsealed.set(Number(row.unsealed));
      if (row.since_checkpoint === null) this.sinceCheckpoint.reset();
      else this.sinceCheckpoint.set(Number(row.since_checkpoint));
      this.treeSize.set(Number(row.tree_size ?? 0));
      this.webhookOldestPending.set(Number(row.webhook_oldest_pending ?? 0));
      this.overdue.set(Number(row.overdue ?? 0));
      this.erasure.set({ status: 'due' }, Number(row.erasure_due ?? 0));
      this.erasure.set({ status: 'overdue' }, Number(row.erasure_overdue ?? 0));
      PENDING_AGES.forEach(([label], i) => this.pending.set({ age: label }, Number(row[`p${i}`] ?? 0)));
    } catch {
      this.dbUp.set(0);
      this.scrapeFailures.inc({ source: 'database' });
    }
  }
}

/**
 * The route a request matched, as its template (`/api/v1/requests/:id`), never its concrete path:
 * ids must not become label values. Unmatched paths share one label.
 */
export function routeTemplate(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (route && typeof route.path === 'string') return `${req.baseUrl ?? ''}${route.path}`;
  if (req.path.startsWith('/console/assets/')) return '/console/assets/:file';
  return 'unmatched';
}
