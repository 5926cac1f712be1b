import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig, Purpose } from '../../config/configuration';
import { PREFECTURE_CODES, PREFECTURES } from '../../config/prefectures';
import { Clock } from '../common/clock';
import { BadRequestError } from '../common/domain-error';
import { TransactionHost, TypeOrmAdapter } from '../database/transaction';
import { AGENCY_KINDS } from '../organizations/organization.entity';
import { OPEN_STATUSES } from '../requests/request-state';
import { suppress } from './suppression';

export const GROUP_BYS = ['month', 'prefecture', 'purpose', 'holder_kind'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];
/** The count measures, in table order. `overdue` is published only as `shareOverdue`. */
export const COUNT_MEASURES = ['requests', 'approvals', 'rejections', 'disclosures'] as const;
export const MEASURES = [...COUNT_MEASURES, 'medianDaysToDecision', 'shareOverdue'] as const;
export type Measure = (typeof MEASURES)[number];

export interface Label {
  ja: string;
  en: string;
}

export interface StatisticsCells {
  requests: number | null;
  approvals: number | null;
  rejections: number | null;
  disclosures: number | null;
  /** Median calendar days from creation to the (final) decision; null when suppressed or nothing was decided. */
  medianDaysToDecision: number | null;
  /** Share (0–1) of the requests that were still undecided when their deadline passed; null when suppressed or no requests. */
  shareOverdue: number | null;
  /** The measures of this line withheld by small-cell suppression (a null elsewhere means "nothing to measure"). */
  suppressed: Measure[];
}

export interface StatisticsGroup extends StatisticsCells {
  key: string;
  label: Label;
}

export interface StatisticsTable {
  from: string;
  to: string;
  groupBy: GroupBy;
  minCell: number;
  generatedAt: string;
  groups: StatisticsGroup[];
  total: StatisticsCells;
}

const HOLDER_KIND_LABELS: Record<string, Label> = {
  correctional_facility: { ja: '矯正施設', en: 'Correctional facility' },
  probation_office: { ja: '保護観察所', en: 'Probation office' },
};
const UNKNOWN: Label = { ja: '不明', en: 'Unknown' };
const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;
/**
 * Count columns (requests 0, approvals 1, rejections 2, disclosures 3, overdue 4) hidden together
 * in a line, beyond the totals: approvals + rejections ≤ requests and disclosures ≤ approvals would
 * otherwise give a hidden one away (15 requests, 14 approvals: the hidden rejection is 1), so
 * approvals and rejections hide each other and disclosures hide with approvals; the overdue count is
 * published only as a share of requests, so it hides with them.
 */
export const MEASURE_LINKS: Record<number, number> = { 1: 2, 2: 1, 3: 1, 4: 0 };
/** The longest period one table covers. */
export const MAX_PERIOD_DAYS = 3660;

interface Row {
  key: string | null;
  /** The grand-total line (grouping set ()), which carries the overall median. */
  is_total: boolean;
  requests: string;
  approvals: string;
  rejections: string;
  disclosures: string;
  overdue: string;
  decided: string;
  median_seconds: number | null;
}

/** The day in Japan of an instant, as YYYY-MM-DD. */
export function japanDate(at: Date): string {
  return new Date(at.getTime() + 9 * 3_600_000).toISOString().slice(0, 10);
}

/** Every month (YYYY-MM) from the one holding `from` to the one holding `to`. */
export function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  let y = Number(from.slice(0, 4));
  let m = Number(from.slice(5, 7));
  const end = to.slice(0, 7);
  for (;;) {
    const key = `${y}-${String(m).padStart(2, '0')}`;
    months.push(key);
    if (key >= end) return months;
    m += 1;
    if (m > 12) [y, m] = [y + 1, 1];
  }
}

function monthLabel(key: string): Label {
  const [y, m] = key.split('-').map(Number) as [number, number];
  return { ja: `${y}年${m}月`, en: `${MONTHS_EN[m - 1]} ${y}` };
}

/**
 * Statistics (統計): requests by month (Japan time), prefecture of the requester, purpose or kind of
 * holder, over a period of Japan dates. Every request created in the period counts once, in its
 * group, with what became of it: approved, rejected, disclosed (retrieved at least once), how long
 * its decision took, and whether it was still undecided when its deadline passed. Small cells are
 * suppressed (see suppression.ts) before anything leaves this service.
 */
@Injectable()
export class StatisticsService {
  constructor(
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The period asked for, with defaults (the last twelve months up to today in Japan); refuses a bad one with 400. */
  period(from?: string, to?: string): { from: string; to: string } {
    const today = japanDate(this.clock.now());
    const end = to ?? (from && from > today ? from : today);
    let start = from;
    if (!start) {
      const d = new Date(`${end.slice(0, 7)}-01T00:00:00Z`);
      d.setUTCMonth(d.getUTCMonth() - 11);
      start = d.toISOString().slice(0, 10);
    }
    if (start > end) throw new BadRequestError('validation', 'The period is empty.', [{ field: 'to', message: 'must be on or after from' }]);
    if ((Date.parse(end) - Date.parse(start)) / DAY_MS >= MAX_PERIOD_DAYS)
      throw new BadRequestError('validation', 'The period is too long.', [{ field: 'from', message: `the period may cover at most ${MAX_PERIOD_DAYS} days` }]);
    return { from: start, to: end };
  }

  async table(q: { from?: string; to?: string; groupBy?: GroupBy }): Promise<StatisticsTable> {
    const { from, to } = this.period(q.from, q.to);
    const groupBy = q.groupBy ?? 'month';
    const now = this.clock.now();
    const start = new Date(`${from}T00:00:00+09:00`);
    const end = new Date(new Date(`${to}T00:00:00+09:00`).getTime() + DAY_MS);
    const key = {
      month: `to_char(r.created_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM')`,
      prefecture: `substring(req.local_government_code from 1 for 2)`,
      purpose: `r.purpose`,
      holder_kind: `h.kind`,
    }[groupBy];
    const rows = (await this.txHost.tx.query(
      `SELECT ${key} AS key, grouping(${key}) = 1 AS is_total,
          count(*) AS requests,
          count(*) FILTER (WHERE r.decided_at IS NOT NULL AND r.approved_categories IS NOT NULL) AS approvals,
          count(*) FILTER (WHERE r.decided_at IS NOT NULL AND r.approved_categories IS NULL) AS rejections,
          count(*) FILTER (WHERE EXISTS (SELECT 1 FROM disclosures d WHERE d.request_id = r.id)) AS disclosures,
          count(*) FILTER (WHERE coalesce(r.decided_at, CASE WHEN r.status = ANY($3) THEN $4::timestamptz ELSE r.updated_at END) > r.due_at) AS overdue,
          count(*) FILTER (WHERE r.decided_at IS NOT NULL) AS decided,
          percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.decided_at - r.created_at)) FILTER (WHERE r.decided_at IS NOT NULL) AS median_seconds
        FROM info_requests r
        JOIN organizations req ON req.id = r.requester_org_id
        JOIN organizations h ON h.id = r.holder_org_id
        WHERE r.created_at >= $1 AND r.created_at < $2
        GROUP BY GROUPING SETS ((${key}), ())`,
      [start, end, OPEN_STATUSES, now],
    )) as Row[];
    return { from, to, groupBy, minCell: this.config.policy.statisticsMinCell, generatedAt: now.toISOString(), ...this.build(groupBy, from, to, rows) };
  }

  /** Every group of the dimension (empty ones too, so a row's presence says nothing), then the data's. */
  private groupsOf(groupBy: GroupBy, from: string, to: string): { key: string; label: Label }[] {
    switch (groupBy) {
      case 'month':
        return monthsBetween(from, to).map((k) => ({ key: k, label: monthLabel(k) }));
      case 'prefecture':
        return PREFECTURE_CODES.map((k) => ({ key: k, label: PREFECTURES[k]! }));
      case 'purpose':
        return (Object.keys(this.config.policy.purposes) as Purpose[]).map((k) => ({ key: k, label: this.config.policy.purposes[k].label }));
      case 'holder_kind':
        return AGENCY_KINDS.map((k) => ({ key: k, label: HOLDER_KIND_LABELS[k] ?? UNKNOWN }));
    }
  }

  private build(groupBy: GroupBy, from: string, to: string, all: Row[]): { groups: StatisticsGroup[]; total: StatisticsCells } {
    const groups = this.groupsOf(groupBy, from, to);
    const rows = all.filter((r) => !r.is_total);
    const totalRow = all.find((r) => r.is_total);
    const byKey = new Map(rows.map((r) => [r.key ?? 'unknown', r]));
    for (const k of byKey.keys()) if (!groups.some((g) => g.key === k)) groups.push({ key: k, label: UNKNOWN });
    const data = groups.map((g) => byKey.get(g.key));
    const num = (v: string | undefined) => Number(v ?? 0);
    // columns: requests, approvals, rejections, disclosures, overdue (published as a share of requests), decided (not published)
    const counts = data.map((r) => [num(r?.requests), num(r?.approvals), num(r?.rejections), num(r?.disclosures), num(r?.overdue)]);
    const min = this.config.policy.statisticsMinCell;
    const s = suppress(counts, { min, follows: MEASURE_LINKS });
    const totals = [0, 1, 2, 3, 4].map((c) => counts.reduce((t, r) => t + r[c]!, 0));
    const decidedTotal = data.reduce((t, r) => t + num(r?.decided), 0);
    const cells = (c: number[], hidden: boolean[], decided: number, medianSeconds: number | null): StatisticsCells => {
      const suppressed: Measure[] = [];
      const count = (i: number) => {
        if (!hidden[i]) return c[i]!;
        suppressed.push(COUNT_MEASURES[i]!);
        return null;
      };
      const out = { requests: count(0), approvals: count(1), rejections: count(2), disclosures: count(3) };
      // A median of few decisions, or of a hidden group, would describe individuals.
      let medianDaysToDecision: number | null = null;
      if (decided > 0 && (decided < min || hidden[0])) suppressed.push('medianDaysToDecision');
      else if (decided > 0 && medianSeconds !== null) medianDaysToDecision = Math.round((medianSeconds / 86_400) * 10) / 10;
      let shareOverdue: number | null = null;
      if (hidden[4] && c[0]! > 0) suppressed.push('shareOverdue');
      else if (c[0]! > 0) shareOverdue = Math.round((c[4]! / c[0]!) * 1000) / 1000;
      return { ...out, medianDaysToDecision, shareOverdue, suppressed };
    };
    return {
      groups: groups.map((g, i) => ({
        key: g.key,
        label: g.label,
        ...cells(counts[i]!, s.suppressed[i]!, num(data[i]?.decided), data[i]?.median_seconds ?? null),
      })),
      total: cells(totals, s.totalSuppressed, decidedTotal, totalRow?.median_seconds ?? null),
    };
  }
}
