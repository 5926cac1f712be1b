import { ApiProperty } from '@nestjs/swagger';
import type { Purpose } from '../../../config/configuration';
import { PageOf } from '../../common/dto/page.dto';
import { SAFEGUARD_STATUSES } from '../safeguard.entity';
import type { SafeguardStatus } from '../safeguard.entity';
import {
  AttestationDto,
  ContactPointDto,
  LegalBasisDto,
  MeasuresDto,
  RetentionDto,
} from './register-safeguards.dto';

const PURPOSES = ['reintegration_support', 'welfare_coordination', 'ordinance_program'];

/** One version of a local government's registered safeguards (安全管理措置), as registered and reviewed. */
export class SafeguardDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  organizationId: string;

  @ApiProperty({ type: 'integer', minimum: 1, description: 'Versions count up per organisation.' })
  version: number;

  @ApiProperty({ enum: SAFEGUARD_STATUSES })
  status: SafeguardStatus;

  @ApiProperty({ type: LegalBasisDto })
  legalBasis: LegalBasisDto;

  @ApiProperty()
  responsibleDepartment: string;

  @ApiProperty({ type: ContactPointDto })
  contactPoint: ContactPointDto;

  @ApiProperty()
  privacyOfficer: string;

  @ApiProperty({ type: String, nullable: true })
  overallManager: string | null;

  @ApiProperty({ type: RetentionDto })
  retention: RetentionDto;

  @ApiProperty({ type: String, nullable: true })
  fileRegisterEntry: string | null;

  @ApiProperty({ type: MeasuresDto })
  measures: MeasuresDto;

  @ApiProperty({ enum: PURPOSES, isArray: true })
  purposes: Purpose[];

  @ApiProperty({ type: AttestationDto })
  attestedBy: AttestationDto;

  @ApiProperty({ format: 'date' })
  attestedOn: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Set when verified: the version is in force until then.',
  })
  validUntil: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  reviewedAt: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why it was rejected, suspended, superseded or expired.',
  })
  statusReason: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class SafeguardPageDto extends PageOf(SafeguardDto, { single: true }) {}

export class CurrentSafeguardsDto {
  @ApiProperty({
    type: SafeguardDto,
    nullable: true,
    description: 'The version in force now (active and not past validUntil).',
  })
  active: SafeguardDto | null;

  @ApiProperty({ type: SafeguardDto, nullable: true, description: 'The newest version, whatever its state.' })
  latest: SafeguardDto | null;
}
