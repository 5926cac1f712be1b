import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query, Req, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { CreateReviewDto, REVIEW_EVENTS_MAX, ReviewsQueryDto } from '../audit/dto/review.dto';
import { AuditReviewsService } from '../audit/reviews.service';
import { AuditQueryService } from '../audit/audit-query.service';
import { AuditService } from '../audit/audit.service';
import { Public } from '../auth/decorators';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { AuditWorkbench } from './audit-workbench';
import { ConsoleRedirect } from './console.errors';
import { ConsoleFilter } from './console.filter';
import { ConsoleGuard, ConsolePage } from './console.guard';
import type { ConsoleRequest } from './console.guard';
import type { MessageKey } from './i18n';
import { renderPage } from './console-page';
import { RenderService } from './render.service';

type Form = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** The auditor's views of what an event concerns (a request, a record, across organisations) and review sign-offs. */
@ApiExcludeController()
@Public()
@Controller('console/audit')
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleFilter)
export class AuditWorkbenchController {
  constructor(
    private readonly render: RenderService,
    private readonly clock: Clock,
    private readonly workbench: AuditWorkbench,
    private readonly reviews: AuditReviewsService,
    private readonly audit: AuditService,
    private readonly queries: AuditQueryService,
  ) {}

  private page(req: ConsoleRequest, view: string, title: MessageKey, data: Record<string, unknown>): string {
    return renderPage(this.render, this.clock, req, view, title, 'audit', data);
  }

  @Get('requests/:id')
  @ConsolePage(['auditor'])
  async requestPage(@Req() req: ConsoleRequest, @Param('id', ParseUUIDPipe) id: string): Promise<string> {
    const v = await this.workbench.request(id);
    const lang = req.console!.lang;
    return this.page(req, 'audit-request', 'auditRequestTitle', { ...v, purposeLabel: v.purposeLabel?.[lang] ?? v.req.purpose });
  }

  @Get('records/:id')
  @ConsolePage(['auditor'])
  async recordPage(@Req() req: ConsoleRequest, @Param('id', ParseUUIDPipe) id: string): Promise<string> {
    const v = await this.workbench.record(id);
    // The holder's record page itself, with a way back to the events about the record.
    return this.page(req, 'audit-record', 'auditRecordTitle', v);
  }

  @Get('reviews')
  @ConsolePage(['auditor'])
  async reviewsPage(@Req() req: ConsoleRequest, @Query() q: Record<string, unknown>): Promise<string> {
    const query = plainToInstance(ReviewsQueryDto, { cursor: typeof q.cursor === 'string' && q.cursor ? q.cursor : undefined, limit: 50 });
    const invalid = (await validate(query)).length > 0;
    const page = invalid ? { items: [], nextCursor: null } : await this.reviews.list(query);
    await this.audit.record({ action: 'audit.reviews.read', resourceType: 'audit_review', details: { channel: 'console', count: page.items.length } });
    // An event's link opens the search with it at the top (newest first: the cursor is the event just after it).
    const cursors = await this.queries.cursorsAt([...new Set(page.items.flatMap((r) => r.eventIds))]);
    const reviews = page.items.map((r) => ({ ...r, eventLinks: r.eventIds.map((id) => ({ id, cursor: cursors.get(id) ?? null })) }));
    return this.page(req, 'audit-reviews', 'auditReviewsTitle', { reviews, nextCursor: page.nextCursor, maxEvents: REVIEW_EVENTS_MAX });
  }

  @Post('reviews')
  @ConsolePage(['auditor'])
  async recordReview(@Req() req: ConsoleRequest, @Body() form: Form): Promise<void> {
    const ids = (one(form.eventIds) ?? '').split(/[\s,、]+/).filter(Boolean);
    const dto = plainToInstance(CreateReviewDto, {
      kind: one(form.kind),
      from: one(form.from) || undefined,
      to: one(form.to) || undefined,
      eventIds: ids.length ? ids : undefined,
      anomaly: one(form.anomaly) || undefined,
      conclusion: one(form.conclusion),
    });
    if ((await validate(dto, { whitelist: true, forbidNonWhitelisted: true })).length) throw new ConsoleRedirect('/console/audit/reviews?e=invalid');
    try {
      await this.reviews.create(req.console!.actor, dto);
    } catch (err) {
      if (err instanceof DomainError) throw new ConsoleRedirect(`/console/audit/reviews?e=${err.status === 404 ? 'notfound' : 'invalid'}`);
      throw err;
    }
    throw new ConsoleRedirect('/console/audit/reviews?done=reviewed');
  }
}
