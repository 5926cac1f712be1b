import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMinSize, ArrayUnique, IsArray, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsPlainText, IsRfc3339, Normalized } from '../../common/dto/validators';
import type { Category } from '../../../config/configuration';

import { CATEGORIES } from '../../../config/categories';

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
  @IsRfc3339()
  accessUntil?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'Approve: how many retrievals, within the configured maximum.' })
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
