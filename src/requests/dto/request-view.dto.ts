import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import type { Category, Purpose } from '../../../config/configuration';
import { ORGANIZATION_KINDS } from '../../organizations/organization.entity';
import { REQUEST_STATUSES } from '../request.entity';
import type { RequestStatus } from '../request.entity';
import { CATEGORIES, LegalGroundDto, PURPOSES } from './create-request.dto';
import { ERASURE_STATES } from '../request-views';
import type { ErasureState } from '../request-views';

/** A request as the requesting local government sees it: never the holder, never the record. */
export class RequestDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'REQ-000123', pattern: '^REQ-[0-9]{6,}$', description: 'A short reference number for people to quote (依頼番号): unique, given when the request is made, never changed.' })
  reference: string;

  @ApiProperty({ enum: REQUEST_STATUSES })
  status: RequestStatus;

  @ApiProperty({ enum: PURPOSES })
  purpose: Purpose;

  @ApiProperty({ enum: CATEGORIES, isArray: true, description: 'As requested.' })
  categories: Category[];

  @ApiProperty({ type: LegalGroundDto })
  legalGround: LegalGroundDto;

  @ApiProperty()
  justification: string;

  @ApiProperty({
    enum: CATEGORIES,
    isArray: true,
    nullable: true,
    description: 'Set when approved: what may be retrieved.',
  })
  approvedCategories: Category[] | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Set when approved: end of the access window.',
  })
  accessUntil: string | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'Set when approved: how many retrievals in all.',
  })
  maxRetrievals: number | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'Set when approved: how many retrievals are left.',
  })
  retrievalsLeft: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why it was rejected, withdrawn, revoked or expired.',
  })
  statusReason: string | null;

  @ApiProperty({ format: 'date-time', description: 'An undecided request expires then.' })
  expiresAt: string;

  @ApiProperty({
    format: 'date-time',
    description: 'The decision deadline: the end (Japan time) of the last business day of `decisionBusinessDays`; renewed for a second approval.',
  })
  dueAt: string;

  @ApiProperty({ description: 'Undecided and past `dueAt`.' })
  overdue: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  decidedAt: string | null;

  @ApiProperty({
    enum: ERASURE_STATES,
    description:
      'Erasure (消去の確認): `due` once an approval whose data was retrieved has ended (window closed, exhausted or revoked), until `erasureDueAt` (the end plus the retention days of the requester’s safeguards); `overdue` after it; `attested` once POST /requests/{id}/erasure was made; else `not_due`.',
  })
  erasure: ErasureState;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the erasure attestation is due; null while not due.' })
  erasureDueAt: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class RequesterDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: '大阪市' })
  name: string;

  @ApiProperty({ enum: ORGANIZATION_KINDS })
  kind: string;

  @ApiProperty({ type: String, nullable: true, example: '271004' })
  localGovernmentCode: string | null;
}

export class AssignmentDto {
  @ApiProperty({ format: 'uuid', description: 'The staff user who took the request.' })
  userId: string;

  @ApiProperty({ format: 'date-time' })
  since: string;
}

/** A request as the holder's staff see it: who asks, and which record it concerns. */
export class HolderRequestDto extends RequestDto {
  @ApiProperty({ format: 'uuid' })
  requesterOrganizationId: string;

  @ApiPropertyOptional({ type: RequesterDto, description: 'On GET /requests/{id} only.' })
  requester?: RequesterDto;

  @ApiProperty({ format: 'uuid' })
  holderOrganizationId: string;

  @ApiProperty({ format: 'uuid' })
  recordId: string;

  @ApiPropertyOptional({ example: 'R-7K2M9QX4TB', description: 'On GET /requests/{id} only.' })
  recordRef?: string;

  @ApiProperty({ type: 'integer', description: 'Retrievals so far.' })
  retrievals: number;

  @ApiProperty({ type: AssignmentDto, nullable: true, description: 'The holder’s officer who took the request in the console (担当); null while nobody has.' })
  assignment: AssignmentDto | null;
}

/** The schema of an answer that is `HolderRequestDto` for the holder's staff and `RequestDto` for the requester. */
export const REQUEST_FOR_CALLER = {
  anyOf: [{ $ref: getSchemaPath(HolderRequestDto) }, { $ref: getSchemaPath(RequestDto) }],
  description: 'HolderRequestDto for the holder’s staff; RequestDto for the requesting local government.',
};

/** Register HolderRequestDto and RequestDto as extra models wherever this is used. */
export class RequestPageDto {
  @ApiProperty({ type: 'array', items: REQUEST_FOR_CALLER })
  items: (HolderRequestDto | RequestDto)[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Opaque cursor for the next page (`?cursor=`); null on the last page.',
  })
  nextCursor: string | null;
}
