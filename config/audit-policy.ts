/**
 * The `audit` section of config/policy.json: when an auditor's anomaly views flag something, and
 * how large a per-person report may be. Checked at start like the rest of the policy.
 */
export interface AuditPolicy {
  /** The period the anomaly views look at when none is given (days up to now), and the longest one allowed. */
  anomalyPeriodDays: number;
  maxAnomalyPeriodDays: number;
  /** Working hours in Japan time on business days (not weekends, national holidays or 12/29–1/3), "HH:MM". */
  workingHours: { start: string; end: string };
  /** Listed when a user or system client has at least this many events outside working hours in the period. */
  outsideHours: { minEvents: number };
  /** Listed when one actor has more than `events` events within any `minutes` minutes. */
  burst: { events: number; minutes: number };
  /** Listed when one actor is refused more than `count` times within any `hours` hours. */
  refusals: { count: number; hours: number };
  /** Listed when one municipality (or prefecture) retrieves data about more than `distinctRecords` different people in the period. */
  retrievals: { distinctRecords: number };
  /**
   * Listed when an officer's approvals in the period are more than `ratioToPeerMedian` times the
   * median of the other officers who decided at the same agency (at least `minPeers` of them), and
   * at least `minApprovals`.
   */
  approvals: { ratioToPeerMedian: number; minApprovals: number; minPeers: number };
  /** The most events one per-person report holds (newest first); beyond it the report says it is cut. */
  reportMaxEvents: number;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Problems with the `audit` section, one sentence each; empty when it is valid. */
export function checkAuditPolicy(raw: unknown): string[] {
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null) return ['policy.audit is missing'];
  const a = raw as Record<string, unknown>;
  const int = (path: string, v: unknown, min: number, max: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      problems.push(`policy.audit.${path} must be a whole number from ${min} to ${max}`);
  };
  const obj = (key: string): Record<string, unknown> => {
    const v = a[key];
    if (typeof v === 'object' && v !== null) return v as Record<string, unknown>;
    problems.push(`policy.audit.${key} is missing`);
    return {};
  };
  int('anomalyPeriodDays', a.anomalyPeriodDays, 1, 366);
  int('maxAnomalyPeriodDays', a.maxAnomalyPeriodDays, 1, 366);
  if (
    typeof a.anomalyPeriodDays === 'number' &&
    typeof a.maxAnomalyPeriodDays === 'number' &&
    a.anomalyPeriodDays > a.maxAnomalyPeriodDays
  )
    problems.push('policy.audit.anomalyPeriodDays must not exceed maxAnomalyPeriodDays');
  const hours = obj('workingHours');
  for (const k of ['start', 'end'] as const)
    if (typeof hours[k] !== 'string' || !HHMM.test(hours[k]))
      problems.push(`policy.audit.workingHours.${k} must be a time "HH:MM"`);
  if (
    typeof hours.start === 'string' &&
    typeof hours.end === 'string' &&
    HHMM.test(hours.start) &&
    HHMM.test(hours.end) &&
    hours.start >= hours.end
  )
    problems.push('policy.audit.workingHours.start must be before end');
  int('outsideHours.minEvents', obj('outsideHours').minEvents, 1, 1_000_000);
  const burst = obj('burst');
  int('burst.events', burst.events, 1, 1_000_000);
  int('burst.minutes', burst.minutes, 1, 1440);
  const refusals = obj('refusals');
  int('refusals.count', refusals.count, 1, 1_000_000);
  int('refusals.hours', refusals.hours, 1, 744);
  int('retrievals.distinctRecords', obj('retrievals').distinctRecords, 1, 1_000_000);
  const approvals = obj('approvals');
  if (
    typeof approvals.ratioToPeerMedian !== 'number' ||
    !(approvals.ratioToPeerMedian > 1) ||
    approvals.ratioToPeerMedian > 1000
  )
    problems.push('policy.audit.approvals.ratioToPeerMedian must be a number above 1 and at most 1000');
  int('approvals.minApprovals', approvals.minApprovals, 1, 1_000_000);
  int('approvals.minPeers', approvals.minPeers, 1, 1000);
  int('reportMaxEvents', a.reportMaxEvents, 100, 100_000);
  const known = new Set([
    'anomalyPeriodDays',
    'maxAnomalyPeriodDays',
    'workingHours',
    'outsideHours',
    'burst',
    'refusals',
    'retrievals',
    'approvals',
    'reportMaxEvents',
  ]);
  for (const k of Object.keys(a))
    if (!known.has(k)) problems.push(`policy.audit has the unknown setting ${JSON.stringify(k)}`);
  return problems;
}
