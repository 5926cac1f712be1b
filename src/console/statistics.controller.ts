import { Controller, Get, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Response } from 'express';
import { AuditService } from '../audit/audit.service';
import { Public } from '../auth/decorators';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { StatisticsQueryDto } from '../statistics/dto/statistics.dto';
import { statisticsCsv, SUPPRESSED_MARK } from '../statistics/statistics.csv';
import { COUNT_MEASURES, GROUP_BYS, StatisticsService } from '../statistics/statistics.service';
import type { Measure, StatisticsCells, StatisticsTable } from '../statistics/statistics.service';
import { ConsoleRedirect } from './console.errors';
import { ConsoleFilter } from './console.filter';
import { ConsoleGuard, ConsolePage } from './console.guard';
import type { ConsoleRequest } from './console.guard';
import { DICTIONARIES } from './i18n';
import type { Lang, MessageKey } from './i18n';
import { renderPage } from './console-page';
import { RenderService } from './render.service';
import { statisticsChart } from './statistics-chart';

const STAFF_ROLES = ['auditor', 'safeguard_reviewer', 'admin'] as const;
const MEASURE_KEYS: Record<Measure, MessageKey> = {
  requests: 'statsRequests',
  approvals: 'statsApprovals',
  rejections: 'statsRejections',
  disclosures: 'statsDisclosures',
  medianDaysToDecision: 'statsMedianDays',
  shareOverdue: 'statsShareOverdue',
};
const GROUP_BY_KEYS: Record<(typeof GROUP_BYS)[number], MessageKey> = {
  month: 'statsGroupMonth',
  prefecture: 'statsGroupPrefecture',
  purpose: 'statsGroupPurpose',
  holder_kind: 'statsGroupHolderKind',
};

/** The filters as typed (strings only; anything else is dropped), for the form and the CSV link. */
function filtersOf(q: Record<string, unknown>): { from?: string; to?: string; groupBy?: string } {
  const pick = (k: string) => (typeof q[k] === 'string' && q[k] !== '' ? q[k] : undefined);
  return { from: pick('from'), to: pick('to'), groupBy: pick('groupBy') };
}

/** One table cell as shown: the number, a dash for nothing to measure, or the suppression mark. */
function shown(cells: StatisticsCells, m: Measure, lang: Lang): { text: string; suppressed: boolean } {
  if (cells.suppressed.includes(m)) return { text: SUPPRESSED_MARK, suppressed: true };
  const v = cells[m];
  if (v === null) return { text: '—', suppressed: false };
  if (m === 'shareOverdue') return { text: `${(v * 100).toFixed(1)}%`, suppressed: false };
  if (m === 'medianDaysToDecision') return { text: `${v.toFixed(1)}${lang === 'ja' ? '' : ' '}${DICTIONARIES[lang].statsDaysUnit}`, suppressed: false };
  return { text: String(v), suppressed: false };
}

/** The statistics page (統計) for auditors, reviewers and administrators: a table, a chart, a CSV. */
@ApiExcludeController()
@Public()
@Controller('console')
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleFilter)
export class StatisticsConsoleController {
  constructor(
    private readonly render: RenderService,
    private readonly statistics: StatisticsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** The table for valid filters; undefined (and the page says so) for invalid ones. */
  private async tableFor(q: Record<string, unknown>): Promise<StatisticsTable | undefined> {
    const dto = plainToInstance(StatisticsQueryDto, filtersOf(q));
    if ((await validate(dto)).length > 0) return undefined;
    try {
      return await this.statistics.table(dto);
    } catch (err) {
      if (err instanceof DomainError && err.status === 400) return undefined;
      throw err;
    }
  }

  @Get('statistics')
  @ConsolePage([...STAFF_ROLES])
  async page(@Req() req: ConsoleRequest, @Query() q: Record<string, unknown>): Promise<string> {
    const c = req.console!;
    const lang = c.lang;
    const dict = DICTIONARIES[lang];
    const filters = filtersOf(q);
    const table = await this.tableFor(q);
    if (table) await this.audit.record({ action: 'statistics.read', resourceType: 'statistics', details: { channel: 'console', groupBy: table.groupBy, from: table.from, to: table.to } });
    const measures = (Object.keys(MEASURE_KEYS) as Measure[]).map((m) => ({ key: m, label: dict[MEASURE_KEYS[m]] }));
    const row = (cells: StatisticsCells) => measures.map((m) => shown(cells, m.key, lang));
    const anySuppressed = table ? [table.total, ...table.groups].some((g) => g.suppressed.length > 0) : false;
    const query = new URLSearchParams(table ? { from: table.from, to: table.to, groupBy: table.groupBy } : {}).toString();
    return renderPage(this.render, this.clock, req, 'statistics', 'statsTitle', 'statistics', {
      stylesheets: ['statistics.css'],
      keepQuery: table ? query : undefined,
      error: table && q.e !== 'invalid' ? undefined : dict.invalid,
      filters: { from: table?.from ?? filters.from, to: table?.to ?? filters.to, groupBy: table?.groupBy ?? filters.groupBy ?? 'month' },
      groupBys: GROUP_BYS.map((g) => ({ value: g, label: dict[GROUP_BY_KEYS[g]], selected: g === (table?.groupBy ?? filters.groupBy ?? 'month') })),
      measures,
      table: table && {
        rows: table.groups.map((g) => ({ label: g.label[lang], cells: row(g) })),
        total: row(table.total),
        groupByLabel: dict[GROUP_BY_KEYS[table.groupBy]],
        chart: table.groups.some((g) => COUNT_MEASURES.some((m) => g[m] !== 0))
          ? statisticsChart(table, lang, { title: dict.statsChartTitle, desc: dict.statsChartDesc, measures: COUNT_MEASURES.map((m) => dict[MEASURE_KEYS[m]]), suppressedMark: SUPPRESSED_MARK })
          : undefined,
        suppressionNote: dict.statsSuppressionNote.replace('{min}', String(table.minCell)).replace('{max}', String(table.minCell - 1)),
        anySuppressed,
        csvHref: `/console/statistics/export?${query}`,
      },
    });
  }

  @Get('statistics/export')
  @ConsolePage([...STAFF_ROLES])
  async export(@Res() res: Response, @Query() q: Record<string, unknown>): Promise<void> {
    const table = await this.tableFor(q);
    if (!table) throw new ConsoleRedirect('/console/statistics?e=invalid');
    await this.audit.record({ action: 'statistics.read', resourceType: 'statistics', details: { channel: 'console', groupBy: table.groupBy, from: table.from, to: table.to, format: 'csv' } });
    res.status(200).setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="statistics-${table.groupBy}-${table.from}-${table.to}.csv"`);
    res.send(statisticsCsv(table));
  }
}
