import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Category } from '../../../config/configuration';
import { PageOf } from '../../common/dto/page.dto';
import { CATEGORIES, PURPOSES } from '../../requests/dto/create-request.dto';
import { RELEASE_TYPES, SEXES, SUPPORT_NEEDS } from '../../release-records/release-record.entity';

export class DisclosedIdentityDto {
  @ApiProperty({ example: '法務 太郎' })
  fullName: string;

  @ApiProperty({ type: String, nullable: true, example: 'ホウム タロウ' })
  fullNameKana: string | null;

  @ApiProperty({ format: 'date' })
  birthDate: string;

  @ApiProperty({ enum: SEXES })
  sex: string;
}

export class DisclosedReleaseDto {
  @ApiProperty({ format: 'date' })
  releaseDate: string;

  @ApiProperty({ enum: RELEASE_TYPES })
  releaseType: string;

  @ApiProperty({ type: String, nullable: true })
  facilityName: string | null;

  @ApiProperty({ type: String, format: 'date', nullable: true })
  admissionDate: string | null;
}

export class DisclosedResidenceDto {
  @ApiProperty({ example: '大阪府大阪市北区架空町1-2-3' })
  address: string;

  @ApiProperty({ example: '271004' })
  localGovernmentCode: string;
}

export class DisclosedSupervisionDto {
  @ApiProperty({ example: '大阪保護観察所' })
  probationOfficeName: string;

  @ApiProperty({ format: 'date' })
  supervisionEndDate: string;

  @ApiProperty({ type: String, nullable: true })
  officerContact: string | null;
}

export class DisclosedSupportNeedsDto {
  @ApiProperty({ enum: SUPPORT_NEEDS, isArray: true })
  needs: string[];

  @ApiProperty({ type: String, nullable: true })
  note: string | null;
}

export class DisclosedOffenseDto {
  @ApiProperty({ example: 'theft' })
  category: string;

  @ApiProperty({ type: String, nullable: true })
  sentenceType: string | null;

  @ApiProperty({ type: String, nullable: true })
  sentenceTerm: string | null;

  @ApiProperty({ type: String, format: 'date', nullable: true })
  sentenceEndDate: string | null;
}

/**
 * Exactly the approved categories, one member each (support_needs as `supportNeeds`); nothing else.
 * supervision, supportNeeds and offense are null when the record holds none.
 */
export class DisclosedDataDto {
  @ApiPropertyOptional({ type: DisclosedIdentityDto })
  identity?: DisclosedIdentityDto;

  @ApiPropertyOptional({ type: DisclosedReleaseDto })
  release?: DisclosedReleaseDto;

  @ApiPropertyOptional({ type: DisclosedResidenceDto })
  residence?: DisclosedResidenceDto;

  @ApiPropertyOptional({ type: DisclosedSupervisionDto, nullable: true })
  supervision?: DisclosedSupervisionDto | null;

  @ApiPropertyOptional({ type: DisclosedSupportNeedsDto, nullable: true })
  supportNeeds?: DisclosedSupportNeedsDto | null;

  @ApiPropertyOptional({ type: DisclosedOffenseDto, nullable: true })
  offense?: DisclosedOffenseDto | null;
}

/** One retrieval: the approved fields and a signed receipt of what was sent. */
export class DisclosureDto {
  @ApiProperty({ format: 'uuid' })
  requestId: string;

  @ApiProperty({ enum: CATEGORIES, isArray: true, description: 'The approved categories (what data holds).' })
  categories: Category[];

  @ApiProperty({ type: DisclosedDataDto, description: 'Exactly the fields of the approved categories.' })
  data: DisclosedDataDto;

  @ApiProperty({ type: 'integer' })
  retrievalsLeft: number;

  @ApiProperty({ format: 'date-time' })
  accessUntil: string;

  @ApiProperty({ format: 'date-time' })
  retrievedAt: string;

  @ApiProperty({ example: '1042', description: 'The audit event of this retrieval (a decimal id).' })
  auditEventId: string;

  @ApiProperty({
    description:
      'Compact JWS (ES256, `typ` oie-receipt+jwt, key in /.well-known/jwks.json) over { requestId, categories, dataDigest ' +
      '(SHA-256 of the JCS-canonical `data`, base64url), digestAlg, retrievedAt, auditEventId, recipient, checkpoint, iss, iat }.',
  })
  receipt: string;
}

export class DisclosureRecipientDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: '大阪市' })
  name: string;
}

/** One past retrieval about a person: who received what, when and why. */
export class DisclosureEntryDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  requestId: string;

  @ApiProperty({ type: DisclosureRecipientDto })
  recipient: DisclosureRecipientDto;

  @ApiProperty({ enum: CATEGORIES, isArray: true })
  categories: string[];

  @ApiProperty({ enum: PURPOSES })
  purpose: string;

  @ApiProperty({ enum: ['consent', 'statutory_duty'], description: 'The legal ground of the request.' })
  legalGround: string;

  @ApiProperty({ format: 'date-time' })
  retrievedAt: string;

  @ApiProperty({ example: '1042', description: 'The audit event of the retrieval (a decimal id).' })
  auditEventId: string;

  @ApiProperty({ description: 'SHA-256 of the JCS-canonical data sent (base64url), as in the receipt.' })
  dataDigest: string;
}

export class DisclosureHistoryDto extends PageOf(DisclosureEntryDto, { single: true }) {}
