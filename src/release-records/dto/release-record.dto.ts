import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsObject,
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { IsCalendarDate, IsPlainText, Normalized } from '../../common/dto/validators';
import { RELEASE_TYPES, SEXES, SUPPORT_NEEDS } from '../release-record.entity';
import type { ReleaseType } from '../release-record.entity';

import { CATEGORIES } from '../../../config/categories';
const PURPOSES = ['reintegration_support', 'welfare_coordination', 'ordinance_program'];

export class PlannedResidenceDto {
  @ApiProperty({ example: '大阪府大阪市北区架空町1-2-3' })
  @Normalized() @IsString() @IsPlainText() @MinLength(1) @MaxLength(300)
  address: string;

  @ApiProperty({ example: '271004', description: 'Local government code of the planned residence.' })
  @IsString() @Matches(/^\d{6}$/, { message: 'must be 6 digits' })
  localGovernmentCode: string;
}

export class SupervisionDto {
  @ApiProperty({ example: '大阪保護観察所' })
  @Normalized() @IsString() @IsPlainText() @MinLength(1) @MaxLength(200)
  probationOfficeName: string;

  @ApiProperty({ example: '2027-03-31' })
  @IsCalendarDate()
  supervisionEndDate: string;

  @ApiPropertyOptional({ example: '06-6000-0001 (調整担当)' })
  @IsOptional() @Normalized() @IsString() @IsPlainText() @MaxLength(200)
  officerContact?: string;
}

export class SupportNeedsDto {
  @ApiProperty({ enum: SUPPORT_NEEDS, isArray: true })
  @IsArray() @ArrayUnique() @ArrayMaxSize(SUPPORT_NEEDS.length) @IsIn(SUPPORT_NEEDS, { each: true })
  needs: string[];

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional() @Normalized() @IsString() @IsPlainText() @MaxLength(2000)
  note?: string;
}

export class OffenseDto {
  @ApiProperty({ example: 'theft', description: 'Offence category (罪名区分).' })
  @Normalized() @IsString() @IsPlainText() @MinLength(1) @MaxLength(100)
  category: string;

  @ApiPropertyOptional({ example: '拘禁刑' })
  @IsOptional() @Normalized() @IsString() @IsPlainText() @MaxLength(100)
  sentenceType?: string;

  @ApiPropertyOptional({ example: '2年6月' })
  @IsOptional() @Normalized() @IsString() @IsPlainText() @MaxLength(100)
  sentenceTerm?: string;

  @ApiPropertyOptional({ example: '2026-09-30' })
  @IsOptional() @IsCalendarDate()
  sentenceEndDate?: string;
}

export class ConsentDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'The organisation the person consented to; absent means any verified recipient.' })
  @IsOptional() @IsUUID()
  recipientOrganizationId?: string;

  @ApiProperty({ enum: PURPOSES, isArray: true })
  @IsArray() @ArrayMinSize(1) @ArrayUnique() @IsIn(PURPOSES, { each: true })
  purposes: string[];

  @ApiProperty({ enum: CATEGORIES, isArray: true })
  @IsArray() @ArrayMinSize(1) @ArrayUnique() @IsIn(CATEGORIES, { each: true })
  categories: string[];

  @ApiProperty({ example: '2026-03-01' })
  @IsCalendarDate()
  signedOn: string;

  @ApiPropertyOptional({ example: '2027-03-01' })
  @IsOptional() @IsCalendarDate()
  validUntil?: string;
}

export class ReleaseRecordDto {
  @ApiProperty({ example: 'OSK-2026-000123', description: 'The holder’s own reference; records are created or updated by it.' })
  @IsString() @Matches(/^[A-Za-z0-9._:/-]{1,64}$/, { message: 'must be 1-64 letters, digits or . _ : / -' })
  externalRef: string;

  @ApiProperty({ example: '法務 太郎' })
  @Normalized() @IsString() @IsPlainText() @MinLength(1) @MaxLength(100)
  fullName: string;

  @ApiPropertyOptional({ example: 'ホウム タロウ' })
  @IsOptional() @Normalized() @IsString() @IsPlainText() @MaxLength(100)
  fullNameKana?: string;

  @ApiProperty({ example: '1980-04-01' })
  @IsCalendarDate()
  birthDate: string;

  @ApiProperty({ enum: SEXES })
  @IsIn(SEXES)
  sex: string;

  @ApiProperty({ example: '2026-12-15', description: 'Release date or planned release date.' })
  @IsCalendarDate()
  releaseDate: string;

  @ApiProperty({ enum: RELEASE_TYPES })
  @IsIn(RELEASE_TYPES)
  releaseType: ReleaseType;

  @ApiPropertyOptional({ example: '大阪刑務所' })
  @IsOptional() @Normalized() @IsString() @IsPlainText() @MaxLength(200)
  facilityName?: string;

  @ApiPropertyOptional({ example: '2024-06-01' })
  @IsOptional() @IsCalendarDate()
  admissionDate?: string;

  @ApiProperty({ type: PlannedResidenceDto })
  @IsDefined() @IsObject() @ValidateNested() @Type(() => PlannedResidenceDto)
  plannedResidence: PlannedResidenceDto;

  @ApiPropertyOptional({ type: SupervisionDto })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => SupervisionDto)
  supervision?: SupervisionDto;

  @ApiPropertyOptional({ type: SupportNeedsDto })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => SupportNeedsDto)
  supportNeeds?: SupportNeedsDto;

  @ApiPropertyOptional({ type: OffenseDto })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => OffenseDto)
  offense?: OffenseDto;

  @ApiPropertyOptional({ type: [ConsentDto] })
  @IsOptional() @IsArray() @ArrayMaxSize(20) @IsObject({ each: true }) @ValidateNested({ each: true }) @Type(() => ConsentDto)
  consents?: ConsentDto[];
}

export class UpdateReleaseRecordDto extends PartialType(OmitType(ReleaseRecordDto, ['externalRef'] as const)) {}
