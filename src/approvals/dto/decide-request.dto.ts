import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMinSize, ArrayUnique, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsPlainText, Normalized } from '../../common/dto/validators';
import type { Category } from '../../../config/configuration';

const CATEGORIES = ['identity', 'release', 'residence', 'supervision', 'support_needs', 'offense'];

export class DecideRequestDto {
  @ApiProperty({ enum: ['approve', 'reject'] })
  @IsIn(['approve', 'reject'])
  decision: 'approve' | 'reject';

  @ApiPropertyOptional({ enum: CATEGORIES, isArray: true, description: 'Approve: a subset of the requested categories (never wider). Default: as requested.' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(CATEGORIES, { each: true })
  categories?: Category[];

  @ApiPropertyOptional({ description: 'Approve: end of the access window (RFC 3339), within the configured maximum.' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/, { message: 'must be an RFC 3339 time with offset' })
  accessUntil?: string;

  @ApiPropertyOptional({ minimum: 1, description: 'Approve: how many retrievals, within the configured maximum.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxRetrievals?: number;

  @ApiProperty({ maxLength: 2000, example: '本人同意書を確認。帰住調整に必要な範囲に限定。' })
  @Normalized()
  @IsString()
  @IsPlainText()
  @MinLength(1)
  @MaxLength(2000)
  reason: string;
}

export class RevokeDto {
  @ApiProperty({ maxLength: 2000 })
  @Normalized()
  @IsString()
  @IsPlainText()
  @MinLength(1)
  @MaxLength(2000)
  reason: string;
}
