import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDateOrTime, IsBigintId } from '../../common/dto/validators';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);

export class AuditFilterDto {
  @ApiPropertyOptional({ description: 'Actor id (user id or client id).' })
  @IsOptional() @IsString() @MaxLength(100) @Matches(/^[A-Za-z0-9_-]+$/)
  actor?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Organisation of the actor.' })
  @IsOptional() @IsUUID()
  org?: string;

  @ApiPropertyOptional({ example: 'disclosure.retrieve' })
  @IsOptional() @IsString() @Matches(/^[a-z.]{1,64}$/)
  action?: string;

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

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(500)
  limit?: number;
}

export class AuditExportDto extends AuditFilterDto {
  @ApiPropertyOptional({ enum: ['ndjson', 'csv'], default: 'ndjson' })
  @IsOptional() @IsIn(['ndjson', 'csv'])
  format?: 'ndjson' | 'csv';
}

export class ProofQueryDto {
  @ApiPropertyOptional({ description: 'Tree size the proof is for; default the latest checkpoint.' })
  @IsOptional() @Transform(toInt) @IsInt() @Min(1)
  treeSize?: number;
}

export class ConsistencyQueryDto {
  @Transform(toInt) @IsInt() @Min(1)
  from: number;

  @Transform(toInt) @IsInt() @Min(1)
  to: number;
}

export class CheckpointsQueryDto {
  @ApiPropertyOptional({ description: 'Checkpoints with a smaller tree size than this cursor.' })
  @IsOptional() @IsBigintId()
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
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

export class CheckpointView {
  @ApiProperty({ example: 1024 }) treeSize: number;
  @ApiProperty({ description: 'Base64 RFC 6962 root hash.' }) rootHash: string;
  @ApiProperty({ format: 'date-time' }) time: string;
  @ApiProperty({ description: 'JWK thumbprint of the Ed25519 key (in the JWKS).' }) keyId: string;
  @ApiProperty({ description: 'Compact JWS (EdDSA) over {treeSize, rootHash, time}.' }) signature: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The checkpoint as a C2SP signed note (origin, tree size, base64 root; the log\'s Ed25519 note signature, then the witnesses\' cosignatures received so far). Null for checkpoints sealed before notes.',
  })
  note: string | null;
}

export class CheckpointPageView {
  @ApiProperty({ type: [CheckpointView] }) items: CheckpointView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class VerifyWitnessesView {
  @ApiProperty({ type: [String] }) cosigned: string[];
  @ApiProperty({ type: [String] }) missing: string[];
  @ApiProperty() quorum: number;
}

export class VerifyReportView {
  @ApiProperty() ok: boolean;
  @ApiProperty({ description: 'Leaves checked.' }) treeSize: number;
  @ApiProperty() checkpointsVerified: number;
  @ApiPropertyOptional({ description: 'The first leaf index that fails.' }) firstBadIndex?: number;
  @ApiPropertyOptional({ description: 'The tree size of the checkpoint that fails.' }) badCheckpoint?: number;
  @ApiPropertyOptional() reason?: string;
  @ApiPropertyOptional({ type: VerifyWitnessesView, description: 'Present when witnesses are configured.' }) witnesses?: VerifyWitnessesView;
}
