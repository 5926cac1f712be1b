import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { PageOf } from '../../common/dto/page.dto';
import { IsBigintId, IsCalendarDate, IsPlainText, Normalized } from '../../common/dto/validators';

export const REVIEW_KINDS = ['period', 'finding'] as const;
export type ReviewKind = (typeof REVIEW_KINDS)[number];
export const REVIEW_CONCLUSION_MAX = 2000;
export const REVIEW_EVENTS_MAX = 100;

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);

/**
 * POST /audit/reviews: an auditor signs off the review of a period (`from`, `to`) or of a finding
 * (the events it concerns and/or an anomaly reference). The conclusion is free text about the
 * log, not about a person: no names or other personal data.
 */
export class CreateReviewDto {
  @ApiProperty({ enum: REVIEW_KINDS, description: '`period`: a span of the log was reviewed (needs from and to, from <= to). `finding`: a finding was reviewed (needs eventIds or anomaly).' })
  @IsIn(REVIEW_KINDS)
  kind: ReviewKind;

  @ApiPropertyOptional({ format: 'date', description: 'First day of the reviewed period (Japan calendar day), inclusive.', example: '2026-11-01' })
  @IsOptional() @IsCalendarDate()
  from?: string;

  @ApiPropertyOptional({ format: 'date', description: 'Last day of the reviewed period (Japan calendar day), inclusive; not before from.', example: '2026-11-30' })
  @IsOptional() @IsCalendarDate()
  to?: string;

  @ApiPropertyOptional({ type: [String], maxItems: REVIEW_EVENTS_MAX, description: 'Ids of the audit events the finding concerns (each must exist).', example: ['1042', '1043'] })
  @IsOptional() @IsArray() @ArrayMaxSize(REVIEW_EVENTS_MAX) @ArrayUnique() @IsBigintId({ each: true })
  eventIds?: string[];

  @ApiPropertyOptional({ maxLength: 200, description: 'A reference to an anomaly (its id or code as the anomaly view names it); letters, digits and _ . : / - only.', example: 'off-hours-reads:2026-11-03' })
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9_.:/-]{1,200}$/)
  anomaly?: string;

  @ApiProperty({ minLength: 1, maxLength: REVIEW_CONCLUSION_MAX, description: 'What the auditor concluded. About the log and the staff or systems that acted, never about a person in a record: no names or other personal data.' })
  @Normalized() @IsString() @IsPlainText() @MinLength(1) @MaxLength(REVIEW_CONCLUSION_MAX)
  conclusion: string;
}

export class ReviewsQueryDto {
  @ApiPropertyOptional({ description: 'Opaque cursor from nextCursor.' })
  @IsOptional() @IsBigintId()
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(200)
  limit?: number;
}

export class ReviewerDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ description: 'The auditor\'s display name (staff, not subject data).' })
  name: string;

  @ApiProperty({ format: 'uuid' })
  organizationId: string;

  @ApiProperty({ type: String, nullable: true })
  organizationName: string | null;
}

export class CoveringCheckpointDto {
  @ApiProperty({ type: 'integer', description: 'The first checkpoint whose tree size is greater than the review event\'s leaf index.' })
  treeSize: number;

  @ApiProperty({ description: 'Its RFC 6962 root hash (base64).' })
  rootHash: string;

  @ApiProperty({ format: 'date-time' })
  time: string;
}

export class ReviewDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: REVIEW_KINDS })
  kind: ReviewKind;

  @ApiProperty({ type: String, format: 'date', nullable: true, description: 'First day of the reviewed period.' })
  from: string | null;

  @ApiProperty({ type: String, format: 'date', nullable: true, description: 'Last day of the reviewed period (inclusive).' })
  to: string | null;

  @ApiProperty({ type: [String] })
  eventIds: string[];

  @ApiProperty({ type: String, nullable: true })
  anomaly: string | null;

  @ApiProperty()
  conclusion: string;

  @ApiProperty({ description: 'SHA-256 of the conclusion (hex); the audit event carries it, so the sealed leaf commits to the text.' })
  conclusionSha256: string;

  @ApiProperty({ type: ReviewerDto })
  reviewer: ReviewerDto;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ description: 'The `audit.review` event that records the sign-off.' })
  auditEventId: string;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Its leaf index; null until sealed.' })
  leafIndex: number | null;

  @ApiProperty({ type: CoveringCheckpointDto, nullable: true, description: 'The checkpoint that covers the event; null: not yet sealed.' })
  checkpoint: CoveringCheckpointDto | null;

  @ApiProperty({ description: 'The review as stored matches what its audit event recorded (kind, period, events, anomaly, conclusion hash).' })
  matchesEvent: boolean;
}

export class ReviewPageDto extends PageOf(ReviewDto) {}
