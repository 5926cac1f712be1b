import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import type { AuditPolicy } from '../../config/audit-policy';
import { isBusinessDay, tokyoDate } from '../requests/business-days';
import { BadRequestError, NotFoundError } from '../common/domain-error';
import { csvCell } from './audit-query.service';
import { AuditService } from './audit.service';
import { LEAF_COLUMNS, LeafRow } from './leaf';

const DAY_MS = 86_400_000;
const JST_OFFSET_MS = 9 * 3_600_000;
/** The most findings one anomaly view lists (largest first). */
export const MAX_FINDINGS = 100;

/** What an event about a person was, for the per-person report. */
export type ReportKind = 'read' | 'decision' | 'disclosure' | 'refusal' | 'request' | 'other';
export const REPORT_KINDS: readonly ReportKind[] = [
  'read',
  'decision',
  'disclosure',
  'refusal',
  'request',
  'other',
];

const DECISIONS = new Set([
  'request.approve',
  'request.approve.first',
  'request.reject',
  'request.revoke',
  'request.decide',
]);
const REQUESTS = new Set(['request.create', 'request.withdraw', 'request.expire']);
const APPROVALS = ['request.approve', 'request.approve.first'];

export function reportKind(action: string, outcome: string): ReportKind {
  if (outcome === 'denied') return 'refusal';
  if (action === 'disclosure.retrieve') return 'disclosure';
  if (DECISIONS.has(action)) return 'decision';
  if (REQUESTS.has(action)) return 'request';
  if (action.endsWith('.read') || action === 'audit.report') return 'read';
  return 'other';
}

/** An instant as Japan time with its offset, e.g. `2026-11-30T09:15:02+09:00`. */
export function japanTime(iso: string | Date): string {
  const t = typeof iso === 'string' ? Date.parse(iso) : iso.getTime();
  return new Date(t + JST_OFFSET_MS).toISOString().slice(0, 19) + '+09:00';
}

export interface ReportEvent {
  id: string;
  occurredAt: string;
  japanTime: string;
  kind: ReportKind;
  action: string;
  outcome: string;
  reasonCode: string | null;
  actorType: string;
  actorId: string | null;
  actorName: string | null;
  organizationId: string | null;
  organizationName: string | null;
  resourceType: string;
  resourceId: string | null;
  requestId: string | null;
}

export interface PersonReport {
  recordId: string;
  generatedAt: string;
  requestIds: string[];
  counts: Record<ReportKind, number>;
  truncated: boolean;
  items: ReportEvent[];
}

export const REPORT_CSV_COLUMNS = [
  'id',
  'occurredAt',
  'japanTime',
  'kind',
  'action',
  'outcome',
  'reasonCode',
  'actorType',
  'actorId',
  'actorName',
  'organizationId',
  'organizationName',
  'resourceType',
  'resourceId',
  'requestId',
] as const;

export function reportCsv(report: PersonReport): string {
  return (
    [
      REPORT_CSV_COLUMNS.join(','),
      ...report.items.map((e) => REPORT_CSV_COLUMNS.map((c) => csvCell(e[c])).join(',')),
    ].join('\n') + '\n'
  );
}

export type AnomalyView = 'outside-hours' | 'bursts' | 'refusals' | 'retrievals' | 'approvals';
export const ANOMALY_VIEWS: readonly AnomalyView[] = [
  'outside-hours',
  'bursts',
  'refusals',
  'retrievals',
  'approvals',
];

export interface Finding {
  actorType: string | null;
  actorId: string | null;
  actorName: string | null;
  organizationId: string | null;
  organizationName: string | null;
  /** The figure compared with the threshold (events, refusals, people or approvals). */
  count: number;
  /** For approvals: the median of the peers' approvals and how many peers. */
  peerMedian?: number;
  peers?: number;
  /** The span the finding covers (a burst's window, or first and last event). */
  from: string;
  to: string;
  /** Filters of GET /audit/events that list the events behind the finding. */
  search: { actor?: string; org?: string; action?: string; group?: string; outcome?: string; from: string; to: string };
}

export interface AnomalyViewResult {
  view: AnomalyView;
  threshold: Record<string, number | string>;
  findings: Finding[];
}

export interface AnomalyReport {
  from: string;
  to: string;
  views: AnomalyViewResult[];
}

/** The per-person report and the anomaly views: aggregate reads of the audit log for auditors. */
@Injectable()
export class AuditInsightsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  /** The report, audited (a read about this person); an unknown record is a refusal on record. */
  async auditedReport(recordId: string, format: 'json' | 'csv', channel?: 'console'): Promise<PersonReport> {
    if (!(await this.recordExists(recordId))) {
      await this.audit.recordDetached({
        action: 'audit.report',
        resourceType: 'release_record',
        resourceId: recordId,
        outcome: 'denied',
        reasonCode: 'not-found',
        details: channel ? { channel } : null,
      });
      throw new NotFoundError('release record').markAudited();
    }
    const report = await this.personReport(recordId);
    await this.audit.record({
      action: 'audit.report',
      resourceType: 'release_record',
      resourceId: recordId,
      recordId,
      details: {
        format,
        count: report.items.length,
        truncated: report.truncated,
        ...(channel ? { channel } : {}),
      },
    });
    return report;
  }

  async auditedAnomalies(
    q: { from?: string; to?: string; view?: AnomalyView },
    channel?: 'console',
  ): Promise<AnomalyReport> {
    const period = this.period(q.from, q.to);
    if ('error' in period) {
      await this.audit.recordDetached({
        action: 'audit.anomalies',
        resourceType: 'audit_event',
        outcome: 'denied',
        reasonCode: 'validation',
        details: channel ? { channel } : null,
      });
      throw new BadRequestError('validation', `Invalid period: ${period.error}.`, [
        { field: 'from', message: period.error },
      ]).markAudited();
    }
    const report = await this.anomalies(period, q.view);
    await this.audit.record({
      action: 'audit.anomalies',
      resourceType: 'audit_event',
      details: {
        from: report.from,
        to: report.to,
        view: q.view ?? null,
        findings: report.views.map((v) => ({ view: v.view, count: v.findings.length })),
        ...(channel ? { channel } : {}),
      },
    });
    return report;
  }

  private get policy(): AuditPolicy {
    return this.config.policy.audit;
  }

  async recordExists(recordId: string): Promise<boolean> {
    const rows = (await this.dataSource.query(`SELECT 1 FROM release_records WHERE id = $1`, [
      recordId,
    ])) as unknown[];
    return rows.length > 0;
  }

  /**
   * Every event about one person, newest first: those that carry the record id, and those about
   * the requests for that record (a refused decision or read of a request may carry only the
   * request id). Two index ranges (record_id, resource_id), merged and cut at reportMaxEvents.
   */
  async personReport(recordId: string): Promise<PersonReport> {
    const requests = (await this.dataSource.query(
      `SELECT id::text AS id FROM info_requests WHERE record_id = $1 ORDER BY created_at, id`,
      [recordId],
    )) as { id: string }[];
    const requestIds = requests.map((r) => r.id);
    const max = this.policy.reportMaxEvents;
    const rows = (await this.dataSource.query(
      `SELECT ${LEAF_COLUMNS} FROM audit_events a
        WHERE a.record_id = $1 OR (a.resource_id = ANY($2::text[]) AND a.resource_type = 'request')
        ORDER BY a.occurred_at DESC, a.id DESC LIMIT ${max + 1}`,
      [recordId, requestIds],
    )) as LeafRow[];
    const kept = rows.slice(0, max);
    const names = await this.names(kept);
    const counts = Object.fromEntries(REPORT_KINDS.map((k) => [k, 0])) as Record<ReportKind, number>;
    const items = kept.map((r): ReportEvent => {
      const kind = reportKind(r.action, r.outcome);
      counts[kind] += 1;
      return {
        id: r.id,
        occurredAt: r.occurred_at,
        japanTime: japanTime(r.occurred_at),
        kind,
        action: r.action,
        outcome: r.outcome,
        reasonCode: r.reason_code,
        actorType: r.actor_type,
        actorId: r.actor_id,
        actorName: r.actor_id ? (names.actors.get(r.actor_id) ?? null) : null,
        organizationId: r.organization_id,
        organizationName: r.organization_id ? (names.orgs.get(r.organization_id) ?? null) : null,
        resourceType: r.resource_type,
        resourceId: r.resource_id,
        requestId: r.request_id,
      };
    });
    return {
      recordId,
      generatedAt: new Date().toISOString(),
      requestIds,
      counts,
      truncated: rows.length > max,
      items,
    };
  }

  /** Staff display names, client names and organisation names for the ids in some rows. */
  private async names(
    rows: {
      actor_id?: string | null;
      actorId?: string | null;
      organization_id?: string | null;
      organizationId?: string | null;
    }[],
  ) {
    const actorIds = [...new Set(rows.map((r) => r.actor_id ?? r.actorId).filter((x): x is string => !!x))];
    const orgIds = [
      ...new Set(rows.map((r) => r.organization_id ?? r.organizationId).filter((x): x is string => !!x)),
    ];
    const actors = new Map<string, string>();
    const orgs = new Map<string, string>();
    if (actorIds.length) {
      const found = (await this.dataSource.query(
        `SELECT id::text AS id, display_name AS name FROM users WHERE id::text = ANY($1::text[])
         UNION ALL SELECT client_id, name FROM api_clients WHERE client_id = ANY($1::text[]) AND name IS NOT NULL`,
        [actorIds],
      )) as { id: string; name: string }[];
      for (const f of found) actors.set(f.id, f.name);
    }
    if (orgIds.length) {
      const found = (await this.dataSource.query(
        `SELECT id::text AS id, name FROM organizations WHERE id = ANY($1::uuid[])`,
        [orgIds],
      )) as { id: string; name: string }[];
      for (const f of found) orgs.set(f.id, f.name);
    }
    return { actors, orgs };
  }

  /** The period of the anomaly views: [from, to), by default the policy's number of days up to now. */
  period(from?: string, to?: string): { from: Date; to: Date } | { error: string } {
    const end = to ? new Date(to) : new Date();
    const start = from ? new Date(from) : new Date(end.getTime() - this.policy.anomalyPeriodDays * DAY_MS);
    if (!(start < end)) return { error: 'from must be before to' };
    if (end.getTime() - start.getTime() > this.policy.maxAnomalyPeriodDays * DAY_MS)
      return { error: `the period may be at most ${this.policy.maxAnomalyPeriodDays} days` };
    return { from: start, to: end };
  }

  async anomalies(period: { from: Date; to: Date }, only?: AnomalyView): Promise<AnomalyReport> {
    const views: AnomalyViewResult[] = [];
    for (const view of ANOMALY_VIEWS)
      if (!only || only === view) views.push(await this.view(view, period.from, period.to));
    const rows = views.flatMap((v) => v.findings);
    const names = await this.names(rows);
    for (const f of rows) {
      f.actorName = f.actorId ? (names.actors.get(f.actorId) ?? null) : null;
      f.organizationName = f.organizationId ? (names.orgs.get(f.organizationId) ?? null) : null;
    }
    return { from: period.from.toISOString(), to: period.to.toISOString(), views };
  }

  private async view(view: AnomalyView, from: Date, to: Date): Promise<AnomalyViewResult> {
    const p = this.policy;
    switch (view) {
      case 'outside-hours':
        return {
          view,
          threshold: {
            minEvents: p.outsideHours.minEvents,
            start: p.workingHours.start,
            end: p.workingHours.end,
          },
          findings: await this.outsideHours(from, to),
        };
      case 'bursts':
        return {
          view,
          threshold: { events: p.burst.events, minutes: p.burst.minutes },
          findings: await this.sliding(from, to, p.burst.minutes, p.burst.events, false),
        };
      case 'refusals':
        return {
          view,
          threshold: { count: p.refusals.count, hours: p.refusals.hours },
          findings: await this.sliding(from, to, p.refusals.hours * 60, p.refusals.count, true),
        };
      case 'retrievals':
        return {
          view,
          threshold: { distinctRecords: p.retrievals.distinctRecords },
          findings: await this.retrievals(from, to),
        };
      case 'approvals':
        return {
          view,
          threshold: {
            ratioToPeerMedian: p.approvals.ratioToPeerMedian,
            minApprovals: p.approvals.minApprovals,
            minPeers: p.approvals.minPeers,
          },
          findings: await this.approvals(from, to),
        };
    }
  }

  /** Japan dates in [from, to) that are not business days (weekends, national holidays, 12/29–1/3). */
  private closedDays(from: Date, to: Date): string[] {
    const out: string[] = [];
    for (let t = from.getTime(); ; t += DAY_MS) {
      const d = tokyoDate(new Date(Math.min(t, to.getTime())));
      if (!isBusinessDay(d) && out[out.length - 1] !== d) out.push(d);
      if (t >= to.getTime()) break;
    }
    return out;
  }

  /** Staff and systems (not the service itself, not anonymous callers) acting outside working hours in Japan time. */
  private async outsideHours(from: Date, to: Date): Promise<Finding[]> {
    const p = this.policy;
    const rows = (await this.dataSource.query(
      `SELECT a.actor_type, a.actor_id, a.organization_id::text AS organization_id, count(*)::int AS n, min(a.occurred_at) AS first, max(a.occurred_at) AS last
         FROM audit_events a
        WHERE a.occurred_at >= $1 AND a.occurred_at < $2 AND a.actor_type IN ('user', 'client')
          AND ((a.occurred_at AT TIME ZONE 'Asia/Tokyo')::date = ANY($3::date[])
               OR (a.occurred_at AT TIME ZONE 'Asia/Tokyo')::time < $4::time
               OR (a.occurred_at AT TIME ZONE 'Asia/Tokyo')::time >= $5::time)
        GROUP BY a.actor_type, a.actor_id, a.organization_id
       HAVING count(*) >= $6
        ORDER BY n DESC, a.actor_id LIMIT ${MAX_FINDINGS}`,
      [
        from,
        to,
        this.closedDays(from, to),
        p.workingHours.start,
        p.workingHours.end,
        p.outsideHours.minEvents,
      ],
    )) as {
      actor_type: string;
      actor_id: string | null;
      organization_id: string | null;
      n: number;
      first: Date;
      last: Date;
    }[];
    return rows.map((r) => this.finding(r, r.n, r.first, r.last, {}));
  }

  /**
   * Actors with more than `limit` events (or refusals) within any `minutes` minutes: for each
   * event, the number of the actor's events from it to `minutes` later; the largest per actor.
   */
  private async sliding(
    from: Date,
    to: Date,
    minutes: number,
    limit: number,
    refusals: boolean,
  ): Promise<Finding[]> {
    const rows = (await this.dataSource.query(
      `SELECT DISTINCT ON (w.actor_type, w.actor_id) w.actor_type, w.actor_id, w.organization_id, w.n, w.occurred_at AS first
         FROM (SELECT a.actor_type, a.actor_id, a.organization_id::text AS organization_id, a.occurred_at,
                      count(*) OVER (PARTITION BY a.actor_type, a.actor_id ORDER BY a.occurred_at
                                     RANGE BETWEEN CURRENT ROW AND $3::interval FOLLOWING)::int AS n
                 FROM audit_events a
                WHERE a.occurred_at >= $1 AND a.occurred_at < $2 AND a.actor_id IS NOT NULL ${refusals ? "AND a.outcome = 'denied'" : ''}) w
        WHERE w.n > $4
        ORDER BY w.actor_type, w.actor_id, w.n DESC, w.occurred_at`,
      [from, to, `${minutes * 60 - 0.000001} seconds`, limit],
    )) as { actor_type: string; actor_id: string; organization_id: string | null; n: number; first: Date }[];
    rows.sort((a, b) => b.n - a.n || (a.actor_id < b.actor_id ? -1 : 1));
    return rows.slice(0, MAX_FINDINGS).map((r) => {
      const end = new Date(Math.min(r.first.getTime() + minutes * 60_000, to.getTime()));
      return this.finding(r, r.n, r.first, end, refusals ? { outcome: 'denied' } : {}, end);
    });
  }

  /** Municipalities and prefectures that retrieved data about more than the threshold of different people. */
  private async retrievals(from: Date, to: Date): Promise<Finding[]> {
    const rows = (await this.dataSource.query(
      `SELECT a.organization_id::text AS organization_id, count(DISTINCT a.record_id)::int AS n, min(a.occurred_at) AS first, max(a.occurred_at) AS last
         FROM audit_events a
        WHERE a.action = 'disclosure.retrieve' AND a.occurred_at >= $1 AND a.occurred_at < $2 AND a.outcome = 'success' AND a.organization_id IS NOT NULL
        GROUP BY a.organization_id
       HAVING count(DISTINCT a.record_id) > $3
        ORDER BY n DESC, a.organization_id LIMIT ${MAX_FINDINGS}`,
      [from, to, this.policy.retrievals.distinctRecords],
    )) as { organization_id: string; n: number; first: Date; last: Date }[];
    return rows.map((r) =>
      this.finding(
        { actor_type: null, actor_id: null, organization_id: r.organization_id },
        r.n,
        r.first,
        r.last,
        { action: 'disclosure.retrieve' },
      ),
    );
  }

  /** Officers whose approvals are far above the median of the other officers who decided at the same agency. */
  private async approvals(from: Date, to: Date): Promise<Finding[]> {
    const p = this.policy.approvals;
    const rows = (await this.dataSource.query(
      `WITH d AS (
         SELECT a.organization_id, a.actor_id, count(*) FILTER (WHERE a.action = ANY($3::text[]))::int AS approvals,
                min(a.occurred_at) AS first, max(a.occurred_at) AS last
           FROM audit_events a
          WHERE a.action = ANY($4::text[]) AND a.occurred_at >= $1 AND a.occurred_at < $2
            AND a.outcome = 'success' AND a.actor_type = 'user' AND a.organization_id IS NOT NULL
          GROUP BY a.organization_id, a.actor_id)
       SELECT d.organization_id::text AS organization_id, d.actor_id, d.approvals, d.first, d.last, m.peers, m.median
         FROM d CROSS JOIN LATERAL (
           SELECT count(*)::int AS peers, coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY o.approvals), 0)::float8 AS median
             FROM d o WHERE o.organization_id = d.organization_id AND o.actor_id <> d.actor_id) m
        WHERE d.approvals >= $5 AND m.peers >= $6 AND d.approvals > $7 * m.median
        ORDER BY d.approvals DESC, d.actor_id LIMIT ${MAX_FINDINGS}`,
      [
        from,
        to,
        APPROVALS,
        [...APPROVALS, 'request.reject'],
        p.minApprovals,
        p.minPeers,
        p.ratioToPeerMedian,
      ],
    )) as {
      organization_id: string;
      actor_id: string;
      approvals: number;
      first: Date;
      last: Date;
      peers: number;
      median: number;
    }[];
    return rows.map((r) => ({
      ...this.finding(
        { actor_type: 'user', actor_id: r.actor_id, organization_id: r.organization_id },
        r.approvals,
        r.first,
        r.last,
        // every approval code counted (first stages included): the decision group
        { group: 'decision' },
      ),
      peerMedian: r.median,
      peers: r.peers,
    }));
  }

  private finding(
    r: { actor_type: string | null; actor_id: string | null; organization_id: string | null },
    count: number,
    first: Date,
    last: Date,
    extra: { action?: string; group?: string; outcome?: string },
    end?: Date,
  ): Finding {
    // The search's `to` is exclusive: one millisecond past the last event.
    const searchTo = end ?? new Date(last.getTime() + 1);
    const search: Finding['search'] = { ...extra, from: first.toISOString(), to: searchTo.toISOString() };
    if (r.actor_id) search.actor = r.actor_id;
    else if (r.organization_id) search.org = r.organization_id;
    return {
      actorType: r.actor_type,
      actorId: r.actor_id,
      actorName: null,
      organizationId: r.organization_id,
      organizationName: null,
      count,
      from: first.toISOString(),
      to: searchTo.toISOString(),
      search,
    };
  }
}
