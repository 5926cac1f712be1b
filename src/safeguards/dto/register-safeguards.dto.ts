import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsObject,
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { IsCalendarDate, IsPlainText, IsRfc3339, Normalized } from '../../common/dto/validators';
import type { Purpose } from '../../../config/configuration';

const PURPOSES = ['reintegration_support', 'welfare_coordination', 'ordinance_program'];

export class LegalBasisDto {
  @ApiProperty({ enum: ['ordinance', 'statute'] })
  @IsIn(['ordinance', 'statute'])
  kind: 'ordinance' | 'statute';

  @ApiProperty({ example: '大阪府子どもを性犯罪から守る条例' })
  @Normalized() @IsString() @IsPlainText() @MinLength(1) @MaxLength(300)
  title: string;

  @ApiPropertyOptional({ example: '第17条' })
  @IsOptional() @Normalized() @IsString() @IsPlainText() @MaxLength(100)
  article?: string;

  @ApiPropertyOptional({ example: '2012-03-30' })
  @IsOptional() @IsCalendarDate()
  enactedOn?: string;

  @ApiProperty({ enum: ['consent', 'statutory_duty'], description: 'The APPI Art. 69(2) ground relied on.' })
  @IsIn(['consent', 'statutory_duty'])
  appiGround: 'consent' | 'statutory_duty';
}

export class ContactPointDto {
  @ApiProperty({ example: '再犯防止推進室 窓口' })
  @Normalized() @IsString() @IsPlainText() @MinLength(1) @MaxLength(200)
  name: string;

  @ApiProperty({ example: '06-6000-0000' })
  @IsString() @Matches(/^[0-9+\-() ]{6,30}$/, { message: 'must be a phone number' })
  phone: string;

  @ApiProperty({ example: 'saihan@city.example.lg.jp' })
  @IsEmail() @MaxLength(254)
  email: string;
}

export class RetentionDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 3650 })
  @IsInt() @Min(1) @Max(3650)
  days: number;

  @ApiProperty({ example: '裁断及び電子データの完全消去' })
  @Normalized() @IsString() @IsPlainText() @MinLength(1) @MaxLength(500)
  disposalMethod: string;
}

export class MeasuresDto {
  @ApiProperty({ type: [String], example: ['responsible_officer', 'handling_rules', 'incident_response', 'handling_records', 'internal_audit'] })
  @IsArray() @ArrayUnique() @ArrayMaxSize(50) @IsString({ each: true }) @MaxLength(64, { each: true })
  organizational: string[];

  @ApiProperty({ type: [String], example: ['training', 'confidentiality'] })
  @IsArray() @ArrayUnique() @ArrayMaxSize(50) @IsString({ each: true }) @MaxLength(64, { each: true })
  human: string[];

  @ApiProperty({ type: [String], example: ['controlled_area', 'device_theft_prevention', 'secure_disposal'] })
  @IsArray() @ArrayUnique() @ArrayMaxSize(50) @IsString({ each: true }) @MaxLength(64, { each: true })
  physical: string[];

  @ApiProperty({ type: [String], example: ['access_control', 'authentication', 'access_logging', 'malware_protection', 'encryption', 'closed_network'] })
  @IsArray() @ArrayUnique() @ArrayMaxSize(50) @IsString({ each: true }) @MaxLength(64, { each: true })
  technical: string[];
}

export class AttestationDto {
  @ApiProperty({ example: '大阪 花子' })
  @Normalized() @IsString() @IsPlainText() @MinLength(1) @MaxLength(100)
  name: string;

  @ApiProperty({ example: '福祉局長' })
  @Normalized() @IsString() @IsPlainText() @MinLength(1) @MaxLength(100)
  title: string;
}

export class RegisterSafeguardsDto {
  @ApiProperty({ type: LegalBasisDto })
  @IsDefined() @IsObject() @ValidateNested() @Type(() => LegalBasisDto)
  legalBasis: LegalBasisDto;

  @ApiProperty({ example: '福祉局 生活福祉部 再犯防止推進課' })
  @Normalized() @IsString() @IsPlainText() @MinLength(1) @MaxLength(200)
  responsibleDepartment: string;

  @ApiProperty({ type: ContactPointDto })
  @IsDefined() @IsObject() @ValidateNested() @Type(() => ContactPointDto)
  contactPoint: ContactPointDto;

  @ApiProperty({ example: '福祉局 総務課長' })
  @Normalized() @IsString() @IsPlainText() @MinLength(1) @MaxLength(200)
  privacyOfficer: string;

  @ApiPropertyOptional({ example: '副市長' })
  @IsOptional() @Normalized() @IsString() @IsPlainText() @MaxLength(200)
  overallManager?: string;

  @ApiProperty({ type: RetentionDto })
  @IsDefined() @IsObject() @ValidateNested() @Type(() => RetentionDto)
  retention: RetentionDto;

  @ApiPropertyOptional({ description: 'Entry in the personal information file register (個人情報ファイル簿).' })
  @IsOptional() @Normalized() @IsString() @IsPlainText() @MaxLength(200)
  fileRegisterEntry?: string;

  @ApiProperty({ type: MeasuresDto, description: 'Every catalogue code must be attested.' })
  @IsDefined() @IsObject() @ValidateNested() @Type(() => MeasuresDto)
  measures: MeasuresDto;

  @ApiProperty({ enum: PURPOSES, isArray: true })
  @IsArray() @ArrayMinSize(1) @ArrayUnique() @IsIn(PURPOSES, { each: true })
  purposes: Purpose[];

  @ApiProperty({ type: AttestationDto })
  @IsDefined() @IsObject() @ValidateNested() @Type(() => AttestationDto)
  attestedBy: AttestationDto;

  @ApiProperty({ example: '2026-04-01' })
  @IsCalendarDate()
  attestedOn: string;
}

export class VerifySafeguardsDto {
  @ApiPropertyOptional({ description: 'RFC 3339; defaults to one year from now (config/policy.json).' })
  @IsOptional() @IsString() @IsRfc3339()
  validUntil?: string;
}

export class ReasonDto {
  @ApiProperty({ maxLength: 1000 })
  @Normalized() @IsString() @IsPlainText() @MinLength(1) @MaxLength(1000)
  reason: string;
}
