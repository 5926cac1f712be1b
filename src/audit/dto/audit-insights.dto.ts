import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsDateOrTime } from '../../common/dto/validators';
import { ANOMALY_VIEWS, REPORT_KINDS } from '../audit-insights.service';
import type { AnomalyView } from '../audit-insights.service';

export class AnomalyQueryDto {
  @ApiPropertyOptional({
    description:
      'Start of the period (RFC 3339 or YYYY-MM-DD, UTC when no offset); default `to` minus policy `audit.anomalyPeriodDays`.',
  })
  @IsOptional()
  @IsDateOrTime()
  from?: string;

  @ApiPropertyOptional({
    description:
      'End of the period, exclusive; default now. At most policy `audit.maxAnomalyPeriodDays` after `from`.',
  })
  @IsOptional()
  @IsDateOrTime()
  to?: string;

  @ApiPropertyOptional({ enum: ANOMALY_VIEWS, description: 'Only this view (default: every view).' })
  @IsOptional()
  @IsIn(ANOMALY_VIEWS)
  view?: AnomalyView;
}

/** One event of a per-person report. */
export class ReportEventDto {
  @ApiProperty({ example: '1042', description: 'Audit event id.' })
  id: string;

  @ApiProperty({ format: 'date-time', description: 'UTC with microseconds.' })
  occurredAt: string;

  @ApiProperty({
    example: '2026-11-30T09:15:02+09:00',
    description: 'The same instant in Japan time (to the second).',
  })
  japanTime: string;

  @ApiProperty({
    enum: REPORT_KINDS,
    description:
      'read, decision, disclosure (received), refusal, request (made, withdrawn, expired) or other.',
  })
  kind: string;

  @ApiProperty({ example: 'disclosure.retrieve' })
  action: string;

  @ApiProperty({ enum: ['success', 'denied', 'failure'] })
  outcome: string;

  @ApiProperty({ type: String, nullable: true })
  reasonCode: string | null;

  @ApiProperty({ enum: ['user', 'client', 'system', 'anonymous'] })
  actorType: string;

  @ApiProperty({ type: String, nullable: true })
  actorId: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: "A staff member's display name or an API client's name.",
  })
  actorName: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  organizationId: string | null;

  @ApiProperty({ type: String, nullable: true })
  organizationName: string | null;

  @ApiProperty({ example: 'request' })
  resourceType: string;

  @ApiProperty({ type: String, nullable: true })
  resourceId: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The request id of the HTTP call that caused it.',
  })
  requestId: string | null;
}

export class ReportCountsDto {
  @ApiProperty({ type: 'integer' }) read: number;
  @ApiProperty({ type: 'integer' }) decision: number;
  @ApiProperty({ type: 'integer' }) disclosure: number;
  @ApiProperty({ type: 'integer' }) refusal: number;
  @ApiProperty({ type: 'integer' }) request: number;
  @ApiProperty({ type: 'integer' }) other: number;
}

/** Everything the audit log holds about one person (release record), newest first. */
export class PersonReportDto {
  @ApiProperty({ format: 'uuid' })
  recordId: string;

  @ApiProperty({ format: 'date-time' })
  generatedAt: string;

  @ApiProperty({
    type: [String],
    description: 'The requests made about this record (their events are included).',
  })
  requestIds: string[];

  @ApiProperty({ type: ReportCountsDto, description: 'Events of each kind in this report.' })
  counts: ReportCountsDto;

  @ApiProperty({
    description:
      'True when there were more events than policy `audit.reportMaxEvents`: the newest are shown.',
  })
  truncated: boolean;

  @ApiProperty({ type: [ReportEventDto] })
  items: ReportEventDto[];
}

export class FindingSearchDto {
  @ApiPropertyOptional() actor?: string;
  @ApiPropertyOptional({ format: 'uuid' }) org?: string;
  @ApiPropertyOptional() action?: string;
  @ApiPropertyOptional({ description: 'An operation of the action catalogue (every code it is recorded under), as GET /audit/events takes it' }) group?: string;
  @ApiPropertyOptional() outcome?: string;
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
}

export class FindingDto {
  @ApiProperty({ type: String, nullable: true, enum: ['user', 'client', 'system', 'anonymous'] })
  actorType: string | null;

  @ApiProperty({ type: String, nullable: true })
  actorId: string | null;

  @ApiProperty({ type: String, nullable: true })
  actorName: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  organizationId: string | null;

  @ApiProperty({ type: String, nullable: true })
  organizationName: string | null;

  @ApiProperty({
    type: 'integer',
    description: 'The figure compared with the threshold: events, refusals, distinct people or approvals.',
  })
  count: number;

  @ApiPropertyOptional({ description: "approvals: the median of the peers' approvals." })
  peerMedian?: number;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'approvals: the officers at the same agency it is compared with.',
  })
  peers?: number;

  @ApiProperty({ format: 'date-time' })
  from: string;

  @ApiProperty({ format: 'date-time' })
  to: string;

  @ApiProperty({
    type: FindingSearchDto,
    description: 'Filters of GET /audit/events that list the events behind this finding.',
  })
  search: FindingSearchDto;
}

export class AnomalyViewDto {
  @ApiProperty({ enum: ANOMALY_VIEWS })
  view: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'number' }, { type: 'string' }] },
    description: 'The thresholds from policy `audit` this view applied.',
  })
  threshold: Record<string, number | string>;

  @ApiProperty({ type: [FindingDto], description: 'Largest first, at most 100.' })
  findings: FindingDto[];
}

export class AnomalyReportDto {
  @ApiProperty({ format: 'date-time' })
  from: string;

  @ApiProperty({ format: 'date-time' })
  to: string;

  @ApiProperty({ type: [AnomalyViewDto] })
  views: AnomalyViewDto[];
}
