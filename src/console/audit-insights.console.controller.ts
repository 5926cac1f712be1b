import { Controller, Get, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import type { Response } from 'express';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { AuditInsightsService, reportCsv, REPORT_KINDS } from '../audit/audit-insights.service';
import type { AnomalyReport, Finding, PersonReport } from '../audit/audit-insights.service';
import { AnomalyQueryDto } from '../audit/dto/audit-insights.dto';
import { Public } from '../auth/decorators';
import { DomainError } from '../common/domain-error';
import { Clock } from '../common/clock';
import { ConsoleFilter } from './console.filter';
import { ConsoleGuard, ConsolePage } from './console.guard';
import type { ConsoleRequest } from './console.guard';
import { DICTIONARIES, MessageKey } from './i18n';
import { renderPage } from './console-page';
import { RenderService } from './render.service';

/** The console's link to the event search behind one anomaly finding. */
export function searchLink(f: Finding): string {
  const q = new URLSearchParams();
  // The console's action picker takes an operation (group) or a code under one name.
  for (const [k, v] of Object.entries(f.search)) if (typeof v === 'string') q.set(k === 'group' ? 'action' : k, v);
  return `/console/audit?${q.toString()}`;
}

const VIEW_KEYS: Record<string, { title: MessageKey; rule: MessageKey }> = {
  'outside-hours': { title: 'anomalyOutsideHours', rule: 'anomalyOutsideHoursRule' },
  bursts: { title: 'anomalyBursts', rule: 'anomalyBurstsRule' },
  refusals: { title: 'anomalyRefusals', rule: 'anomalyRefusalsRule' },
  retrievals: { title: 'anomalyRetrievals', rule: 'anomalyRetrievalsRule' },
  approvals: { title: 'anomalyApprovals', rule: 'anomalyApprovalsRule' },
};

/** A rule sentence with its thresholds filled in: `{name}` is replaced by threshold[name]. */
function fill(template: string, values: Record<string, number | string>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? ''));
}

/** Auditors' per-person report and anomaly views in the console (the API's routes, as pages). */
@ApiExcludeController()
@Public()
@Controller('console/audit')
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleFilter)
export class AuditInsightsConsoleController {
  constructor(
    private readonly render: RenderService,
    private readonly insights: AuditInsightsService,
    private readonly clock: Clock,
  ) {}

  private page(req: ConsoleRequest, view: string, title: MessageKey, active: string, data: Record<string, unknown>): string {
    return renderPage(this.render, this.clock, req, view, title, active, data);
  }

  /** The report of one record (audited as audit.report), or the form alone; an unknown or malformed id says so. */
  private async reportFor(
    record: unknown,
    format: 'json' | 'csv',
  ): Promise<{ report?: PersonReport; error?: MessageKey; record: string }> {
    if (typeof record !== 'string' || record === '') return { record: '' };
    if (!isUUID(record)) return { record, error: 'reportBadRecord' };
    try {
      return { record, report: await this.insights.auditedReport(record, format, 'console') };
    } catch (err) {
      if (err instanceof DomainError && err.status === 404) return { record, error: 'reportNoRecord' };
      throw err;
    }
  }

  @Get('report')
  @ConsolePage(['auditor'])
  async reportPage(@Req() req: ConsoleRequest, @Query('record') record: unknown): Promise<string> {
    const found = await this.reportFor(record, 'json');
    const { report, record: value } = found;
    // An export that found nothing comes back here with e=notfound or e=invalid.
    const e = (req.query as Record<string, unknown>).e;
    const error =
      found.error ?? (e === 'notfound' ? 'reportNoRecord' : e === 'invalid' ? 'reportBadRecord' : undefined);
    const lang = req.console!.lang;
    return this.page(req, 'audit-report', 'reportTitle', 'audit-report', {
      record: value,
      report,
      counts: report
        ? REPORT_KINDS.map((k) => ({
            kind: k,
            label: DICTIONARIES[lang][`kind_${k}` as MessageKey],
            count: report.counts[k],
          }))
        : [],
      items: report?.items.map((e) => ({
        ...e,
        kindLabel: DICTIONARIES[lang][`kind_${e.kind}` as MessageKey],
      })),
      exportHref: report
        ? `/console/audit/report/export?record=${encodeURIComponent(report.recordId)}`
        : undefined,
      error: error ? DICTIONARIES[lang][error] : undefined,
    });
  }

  @Get('report/export')
  @ConsolePage(['auditor'])
  async reportExport(
    @Req() req: ConsoleRequest,
    @Res() res: Response,
    @Query('record') record: unknown,
  ): Promise<void> {
    const { report, error } = await this.reportFor(record, 'csv');
    if (!report) {
      res.redirect(303, `/console/audit/report?e=${error === 'reportNoRecord' ? 'notfound' : 'invalid'}`);
      return;
    }
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="person-report-${report.recordId}.csv"`);
    res.setHeader('Cache-Control', 'no-store');
    res.send(reportCsv(report));
  }

  @Get('anomalies')
  @ConsolePage(['auditor'])
  async anomaliesPage(@Req() req: ConsoleRequest, @Query() q: Record<string, unknown>): Promise<string> {
    const lang = req.console!.lang;
    const dict = DICTIONARIES[lang];
    const shown = {
      from: typeof q.from === 'string' ? q.from : '',
      to: typeof q.to === 'string' ? q.to : '',
    };
    const dto = plainToInstance(AnomalyQueryDto, {
      from: shown.from || undefined,
      to: shown.to || undefined,
    });
    let report: AnomalyReport | undefined;
    let error: string | undefined;
    if ((await validate(dto)).length) error = dict.invalid;
    else {
      try {
        // A date alone is a whole Japan day: "to" includes the day it names.
        report = await this.insights.auditedAnomalies(
          { from: japanDayStart(dto.from, 0), to: japanDayStart(dto.to, 1) },
          'console',
        );
      } catch (err) {
        if (!(err instanceof DomainError) || err.status !== 400) throw err;
        error = dict.anomalyBadPeriod;
      }
    }
    return this.page(req, 'audit-anomalies', 'anomaliesTitle', 'audit-anomalies', {
      filters: shown,
      report,
      error,
      views: report?.views.map((v) => ({
        id: v.view,
        title: dict[VIEW_KEYS[v.view]!.title],
        rule: fill(dict[VIEW_KEYS[v.view]!.rule], v.threshold),
        findings: v.findings.map((f) => ({
          ...f,
          who: f.actorName ?? f.actorId ?? f.organizationName ?? f.organizationId ?? '—',
          href: searchLink(f),
        })),
        approvals: v.view === 'approvals',
      })),
    });
  }
}

/** `YYYY-MM-DD` as the start of that Japan day (plus `days`); any other value unchanged. */
function japanDayStart(value: string | undefined, days: number): string | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  return new Date(Date.parse(`${value}T00:00:00+09:00`) + days * 86_400_000).toISOString();
}
