import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDateOrTime, IsBigintId } from '../../common/dto/validators';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { ACTION_GROUP_KEYS } from '../actions';
import type { ActionGroupKey } from '../actions';
import { IsPlainText } from '../../common/dto/validators';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);

export class AuditFilterDto {
  @ApiPropertyOptional({ description: 'Actor id (user id or client id).' })
  @IsOptional() @IsString() @MaxLength(100) @Matches(/^[A-Za-z0-9_-]+$/)
  actor?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Organisation of the actor.' })
  @IsOptional() @IsUUID()
  org?: string;

  @ApiPropertyOptional({ example: 'disclosure.retrieve', description: 'One action code (see `group` for an operation and all its codes).' })
  @IsOptional() @IsString() @Matches(/^[a-z._]{1,64}$/)
  action?: string;

  @ApiPropertyOptional({
    enum: ACTION_GROUP_KEYS,
    example: 'decision',
    description:
      'An operation: every action code it is recorded under, successes and refused attempts (e.g. `decision` is request.approve, request.approve.first, request.reject and request.decide). The catalogue is src/audit/actions.ts; combined with `action`, both must match.',
  })
  @IsOptional() @IsIn(ACTION_GROUP_KEYS)
  group?: ActionGroupKey;

  @ApiPropertyOptional({
    maxLength: 100,
    description: 'Part of a staff member\'s display name or user name, or of an API client\'s name (case-insensitive): events of every matching actor. Names only ever match staff and clients, never a person in a record.',
  })
  @IsOptional() @IsString() @IsPlainText() @MinLength(1) @MaxLength(100)
  actorName?: string;

  /** Actor ids `actorName` resolved to (set by the service, never taken from a query). */
  declare actorIds?: string[];

  @ApiPropertyOptional({ example: 'request', description: 'Resource type.' })
  @IsOptional() @IsString() @Matches(/^[a-z_]{1,64}$/)
  resource?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Release record id (the person, never a name).' })
  @IsOptional() @IsUUID()
  record?: string;

  @ApiPropertyOptional({ enum: ['success', 'denied', 'failure'] })
  @IsOptional() @IsIn(['success', 'denied', 'failure'])
  outcome?: 'success' | 'denied' | 'failure';

  @ApiPropertyOptional({ description: 'At or after (RFC 3339 or YYYY-MM-DD, UTC when no offset).' })
  @IsOptional() @IsDateOrTime()
  from?: string;

  @ApiPropertyOptional({ description: 'Before (RFC 3339 or YYYY-MM-DD).' })
  @IsOptional() @IsDateOrTime()
  to?: string;
}

export class AuditSearchDto extends AuditFilterDto {
  @ApiPropertyOptional({ description: 'Opaque cursor from nextCursor.' })
  @IsOptional() @IsBigintId()
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 100 })
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(500)
  limit?: number;
}

export class AuditExportDto extends AuditFilterDto {
  @ApiPropertyOptional({ enum: ['ndjson', 'csv'], default: 'ndjson' })
  @IsOptional() @IsIn(['ndjson', 'csv'])
  format?: 'ndjson' | 'csv';
}

export class ProofQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'Tree size the proof is for; default the latest checkpoint.' })
  @IsOptional() @Transform(toInt) @IsInt() @Min(1)
  treeSize?: number;
}

export class ConsistencyQueryDto {
  @ApiProperty({ type: 'integer', minimum: 1, description: 'The older tree size.' })
  @Transform(toInt) @IsInt() @Min(1)
  from: number;

  @ApiProperty({ type: 'integer', minimum: 1, description: 'The newer tree size (at most the sealed size).' })
  @Transform(toInt) @IsInt() @Min(1)
  to: number;
}

export class CheckpointsQueryDto {
  @ApiPropertyOptional({ description: 'Checkpoints with a smaller tree size than this cursor.' })
  @IsOptional() @IsBigintId()
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50 })
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(500)
  limit?: number;
}

/** POST /audit/verify: an empty body verifies everything. */
export class VerifyLogDto {
  @ApiPropertyOptional({ enum: ['full'], default: 'full', description: 'What to verify; only the whole log for now.' })
  @IsOptional() @IsIn(['full'])
  scope?: 'full';

  @ApiPropertyOptional({
    type: [String],
    maxItems: 100,
    description:
      'Checkpoint notes held outside the log (from disclosure receipts, a witness, an earlier read), each signed by the log or cosigned by a configured witness. Each must be no larger than the log and consistent with it.',
  })
  @IsOptional() @IsArray() @ArrayMaxSize(100) @IsString({ each: true }) @MaxLength(16384, { each: true })
  notes?: string[];
}

