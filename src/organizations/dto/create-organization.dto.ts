import { IsPlainText } from '../../common/dto/validators';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { ORGANIZATION_KINDS } from '../organization.entity';
import type { OrganizationKind } from '../organization.entity';

export class CreateOrganizationDto {
  @ApiProperty({ enum: ORGANIZATION_KINDS })
  @IsIn(ORGANIZATION_KINDS)
  kind: OrganizationKind;

  @ApiProperty({ example: '大阪市', maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @IsPlainText()
  name: string;

  @ApiPropertyOptional({ example: '271004', description: 'Required for municipality and prefecture; check digit verified.' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{6}$/, { message: 'must be 6 digits' })
  localGovernmentCode?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  parentId?: string;
}
