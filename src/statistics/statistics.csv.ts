import { csvCell } from '../audit/audit-query.service';
import type { Measure, StatisticsCells, StatisticsTable } from './statistics.service';
import { MEASURES } from './statistics.service';

/** What a suppressed cell shows in CSV (and the console): never a number. */
export const SUPPRESSED_MARK = 'x';

export const STATISTICS_CSV_COLUMNS = ['key', 'labelJa', 'labelEn', ...MEASURES] as const;

function measureCell(cells: StatisticsCells, m: Measure): string {
  if (cells.suppressed.includes(m)) return SUPPRESSED_MARK;
  const v = cells[m];
  return v === null ? '' : String(v);
}

/**
 * The table as CSV (RFC 4180, UTF-8, header row): one line per group, then a `total` line. A
 * suppressed cell is `x`; an empty cell means there was nothing to measure (no decision, no request).
 */
export function statisticsCsv(t: StatisticsTable): string {
  const line = (key: string, ja: string, en: string, cells: StatisticsCells) =>
    [csvCell(key), csvCell(ja), csvCell(en), ...MEASURES.map((m) => measureCell(cells, m))].join(',') + '\r\n';
  return (
    STATISTICS_CSV_COLUMNS.join(',') +
    '\r\n' +
    t.groups.map((g) => line(g.key, g.label.ja, g.label.en, g)).join('') +
    line('total', '合計', 'Total', t.total)
  );
}
