import { Controller, Get, Param, ParseUUIDPipe, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Authorize } from '../auth/decorators';
import { AuditInsightsService, reportCsv } from './audit-insights.service';
import type { AnomalyReport } from './audit-insights.service';
import { AnomalyQueryDto, AnomalyReportDto, PersonReportDto } from './dto/audit-insights.dto';

/** The per-person report and the anomaly views (auditors). Each answer is itself an audit event. */
@ApiTags('audit')
@ApiExtraModels(PersonReportDto)
@Controller('audit')
export class AuditInsightsController {
  constructor(private readonly insights: AuditInsightsService) {}

  @Get('records/:recordId/report')
  @Authorize({
    roles: ['auditor'],
    summary:
      'Everything the log holds about one person (a release record): who read, decided, received or was refused what, when (JSON or, with Accept: text/csv, CSV)',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({
    description:
      'Newest first, at most policy `audit.reportMaxEvents` events: those carrying the record id and those about the requests for it. With `Accept: text/csv`, the events as CSV (a header row of the same names; cells that could start a spreadsheet formula are prefixed with a quote).',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(PersonReportDto) } },
      'text/csv': { schema: { type: 'string' } },
    },
  })
  @ApiBadRequestResponse({ description: 'The record id is not a UUID.' })
  @ApiNotFoundResponse({ description: 'No release record has this id.' })
  async report(
    @Param('recordId', ParseUUIDPipe) recordId: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PersonReportDto | string> {
    const csv = req.accepts(['application/json', 'text/csv']) === 'text/csv';
    const report = await this.insights.auditedReport(recordId, csv ? 'csv' : 'json');
    res.setHeader('Cache-Control', 'no-store');
    if (!csv) return report;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="person-report-${recordId}.csv"`);
    return reportCsv(report);
  }

  @Get('anomalies')
  @Authorize({
    roles: ['auditor'],
    summary:
      'Anomaly views: access outside working hours, bursts and refusals by one actor, one municipality retrieving about many people, officers approving far more than their peers',
  })
  @ApiOkResponse({
    description:
      'Each view with the thresholds it applied (policy `audit`) and its findings, each with the event-search filters behind it.',
    type: AnomalyReportDto,
  })
  @ApiBadRequestResponse({
    description: 'from is not before to, or the period is longer than policy `audit.maxAnomalyPeriodDays`.',
  })
  async anomalies(@Query() q: AnomalyQueryDto): Promise<AnomalyReport> {
    return this.insights.auditedAnomalies(q);
  }
}
