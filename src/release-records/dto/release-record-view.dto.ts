import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FieldErrorDto } from '../../common/dto/problem-details.dto';
import { PageOf } from '../../common/dto/page.dto';
import { RELEASE_TYPES, SEXES } from '../release-record.entity';
import type { ReleaseType } from '../release-record.entity';
import {
  ConsentDto,
  OffenseDto,
  PlannedResidenceDto,
  SupervisionDto,
  SupportNeedsDto,
} from './release-record.dto';

/** A stored release record, as its holder's staff see it. */
export class ReleaseRecordViewDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'R-7K2M9QX4TB', description: 'The public reference municipalities may ask by.' })
  recordRef: string;

  @ApiProperty({ example: 'OSK-2026-000123', description: 'The holder’s own reference.' })
  externalRef: string;

  @ApiProperty({ format: 'uuid' })
  holderOrganizationId: string;

  @ApiProperty({ example: '法務 太郎' })
  fullName: string;

  @ApiProperty({ type: String, nullable: true, example: 'ホウム タロウ' })
  fullNameKana: string | null;

  @ApiProperty({ format: 'date' })
  birthDate: string;

  @ApiProperty({ enum: SEXES })
  sex: string;

  @ApiProperty({ format: 'date' })
  releaseDate: string;

  @ApiProperty({ enum: RELEASE_TYPES })
  releaseType: ReleaseType;

  @ApiProperty({ type: String, nullable: true })
  facilityName: string | null;

  @ApiProperty({ type: String, format: 'date', nullable: true })
  admissionDate: string | null;

  @ApiProperty({ type: PlannedResidenceDto })
  plannedResidence: PlannedResidenceDto;

  @ApiProperty({ type: SupervisionDto, nullable: true })
  supervision: SupervisionDto | null;

  @ApiProperty({ type: SupportNeedsDto, nullable: true })
  supportNeeds: SupportNeedsDto | null;

  @ApiProperty({ type: OffenseDto, nullable: true })
  offense: OffenseDto | null;

  @ApiProperty({ type: [ConsentDto] })
  consents: ConsentDto[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class ReleaseRecordPageDto extends PageOf(ReleaseRecordViewDto) {}

/** The outcome of one line (NDJSON) or row (CSV) of an import. */
export class ImportLineDto {
  @ApiProperty({
    type: 'integer',
    description: 'Line number in the body (CSV: counting the header as line 1).',
  })
  line: number;

  @ApiProperty({ enum: ['created', 'updated', 'rejected'] })
  status: 'created' | 'updated' | 'rejected';

  @ApiPropertyOptional({ format: 'uuid', description: 'The record, when stored.' })
  id?: string;

  @ApiPropertyOptional({
    example: 'R-7K2M9QX4TB',
    description: 'The record’s public reference, when stored.',
  })
  recordRef?: string;

  @ApiPropertyOptional({
    type: [FieldErrorDto],
    description: 'Why the line was rejected (never its values).',
  })
  errors?: FieldErrorDto[];
}

export class ImportReportDto {
  @ApiProperty({ type: 'integer' })
  accepted: number;

  @ApiProperty({ type: 'integer' })
  rejected: number;

  @ApiProperty({ type: [ImportLineDto], description: 'One entry per non-empty line, in line order.' })
  lines: ImportLineDto[];
}
