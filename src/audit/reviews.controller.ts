import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiOkResponse, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { Actor } from '../auth/actor';
import { Authorize, CurrentActor } from '../auth/decorators';
import { Transactional } from '../database/transaction';
import { AuditService } from './audit.service';
import { CreateReviewDto, ReviewDto, ReviewPageDto, ReviewsQueryDto } from './dto/review.dto';
import { AuditReviewsService } from './reviews.service';

/** Auditors sign off what they reviewed; each sign-off is itself an audit event, sealed in the log. */
@ApiTags('audit')
@Controller('audit')
export class AuditReviewsController {
  constructor(
    private readonly reviews: AuditReviewsService,
    private readonly audit: AuditService,
  ) {}

  @Post('reviews')
  @Authorize({ roles: ['auditor'], summary: 'Record the review of a period or of a finding (an audit.review event, sealed like any other)' })
  @ApiCreatedResponse({ description: 'The review, with its audit event (not yet sealed when just written).', type: ReviewDto })
  @ApiBadRequestResponse({ description: 'Malformed, or incomplete for its kind (a period needs from < to; a finding names events or an anomaly).' })
  @ApiUnprocessableEntityResponse({ description: 'unknown-audit-event: an event id that does not exist.' })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateReviewDto): Promise<ReviewDto> {
    return this.reviews.create(actor, dto);
  }

  @Get('reviews')
  @Authorize({ roles: ['auditor'], summary: 'Reviews signed off, newest first, each with the checkpoint that covers it' })
  @ApiOkResponse({ description: 'Newest first; `checkpoint` is null while the review event is not yet sealed.', type: ReviewPageDto })
  @Transactional()
  async list(@Query() q: ReviewsQueryDto) {
    const page = await this.reviews.list(q);
    await this.audit.record({ action: 'audit.reviews.read', resourceType: 'audit_review', details: { count: page.items.length } });
    return page;
  }
}
