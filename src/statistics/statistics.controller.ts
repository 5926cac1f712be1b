import { CallHandler, Controller, ExecutionContext, Get, Injectable, NestInterceptor, Query, Req, UseInterceptors } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { map, type Observable } from 'rxjs';
import { AuditService } from '../audit/audit.service';
import { Authorize } from '../auth/decorators';
import { StatisticsDto, StatisticsQueryDto } from './dto/statistics.dto';
import { statisticsCsv } from './statistics.csv';
import { StatisticsService } from './statistics.service';
import type { StatisticsTable } from './statistics.service';

/** Does the caller prefer CSV (`Accept: text/csv`) to JSON? JSON when both or neither are named. */
export function wantsCsv(req: Request): boolean {
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

/** Answers a statistics table as CSV when the caller asks for it with `Accept: text/csv`. */
@Injectable()
class StatisticsCsvInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler<StatisticsTable>): Observable<StatisticsTable | string> {
    const req = ctx.switchToHttp().getRequest<Request>();
    const res = ctx.switchToHttp().getResponse<Response>();
    res.setHeader('Vary', 'Accept');
    if (!wantsCsv(req)) return next.handle();
    return next.handle().pipe(
      map((t) => {
        res.setHeader('Content-Type', 'text/csv; charset=utf-8');
        res.setHeader('Content-Disposition', `attachment; filename="statistics-${t.groupBy}-${t.from}-${t.to}.csv"`);
        return statisticsCsv(t);
      }),
    );
  }
}

/** Statistics (統計) for auditors, reviewers and administrators: counts only, small cells suppressed. */
@ApiTags('statistics')
@ApiExtraModels(StatisticsDto)
@Controller('statistics')
export class StatisticsController {
  constructor(
    private readonly statistics: StatisticsService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @Authorize({ roles: ['auditor', 'safeguard_reviewer', 'admin'], summary: 'Requests, approvals, rejections, disclosures, median days to decision and share overdue, by group, small cells suppressed' })
  @UseInterceptors(StatisticsCsvInterceptor)
  @ApiOkResponse({
    description:
      'One line per group and a total. Counts from 1 to statisticsMinCell − 1 are suppressed, with complementary suppression so that no suppressed cell follows from the totals; a suppressed cell is null in JSON (and named in `suppressed`), `x` in CSV. `Accept: text/csv` answers CSV (UTF-8, header row: key, labelJa, labelEn, then the measures; a last line `total`).',
    headers: { Vary: { description: 'Accept', schema: { type: 'string' } } },
    content: {
      'application/json': { schema: { $ref: getSchemaPath(StatisticsDto) } },
      'text/csv': { schema: { type: 'string', description: 'RFC 4180 CSV; suppressed cells are x.' } },
    },
  })
  async get(@Query() q: StatisticsQueryDto, @Req() req: Request): Promise<StatisticsTable> {
    const table = await this.statistics.table(q);
    await this.audit.record({ action: 'statistics.read', resourceType: 'statistics', details: { groupBy: table.groupBy, from: table.from, to: table.to, format: wantsCsv(req) ? 'csv' : 'json' } });
    return table;
  }
}
