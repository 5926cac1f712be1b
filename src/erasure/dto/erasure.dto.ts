import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsObject, IsOptional, IsString, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { PageQueryDto } from '../../common/dto/pagination.dto';
import { IsCalendarDate, IsPlainText, Normalized } from '../../common/dto/validators';
import { AttestationDto } from '../../safeguards/dto/register-safeguards.dto';
import { ERASURE_STATES } from '../../requests/request-views';
import type { ErasureState } from '../../requests/request-views';

/** The attestation of erasure (消去の確認) of the data a request retrieved. */
export class AttestErasureDto {
  @ApiProperty({ example: '2027-02-10', description: 'The day the data was disposed of (not in the future, Japan time).' })
  @IsCalendarDate()
  disposedOn: string;

  @ApiProperty({ example: '裁断及び電子データの完全消去', description: 'How it was disposed of.' })
  @Normalized() @IsString() @IsPlainText() @MinLength(1) @MaxLength(200)
  method: string;

  @ApiProperty({ type: AttestationDto, description: 'The municipality’s staff member who attests (never the subject).' })
  @IsDefined() @IsObject() @ValidateNested() @Type(() => AttestationDto)
  attestedBy: AttestationDto;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional() @Normalized() @IsString() @IsPlainText() @MaxLength(1000)
  note?: string;
}

export const ENDED_STATUSES = ['expired', 'revoked', 'exhausted'] as const;
export type EndedStatus = (typeof ENDED_STATUSES)[number];

const ERASURE_LIST_STATES = ['due', 'overdue', 'attested'] as const;

export class ListErasureQuery extends PageQueryDto {
  @ApiPropertyOptional({ enum: ERASURE_LIST_STATES, description: 'Only these; all when absent.' })
  @IsOptional()
  @IsIn(ERASURE_LIST_STATES)
  status?: (typeof ERASURE_LIST_STATES)[number];
}

export class AttestedByViewDto {
  @ApiProperty()
  name: string;

  @ApiProperty()
  title: string;
}

export class ErasureAttestationViewDto {
  @ApiProperty({ example: '2027-02-10' })
  disposedOn: string;

  @ApiProperty()
  method: string;

  @ApiProperty({ type: AttestedByViewDto })
  attestedBy: AttestedByViewDto;

  @ApiProperty({ type: String, nullable: true })
  note: string | null;

  @ApiProperty({ format: 'date-time' })
  attestedAt: string;

  @ApiProperty({ description: 'Made after the due date.' })
  late: boolean;
}

/** One request's erasure obligation, as its requester and the safeguard reviewers see it. */
export class ErasureDto {
  @ApiProperty({ format: 'uuid' })
  requestId: string;

  @ApiProperty({ format: 'uuid' })
  requesterOrganizationId: string;

  @ApiProperty({ enum: ERASURE_STATES })
  erasure: ErasureState;

  @ApiProperty({ enum: ENDED_STATUSES, description: 'How the approval ended.' })
  endedStatus: EndedStatus;

  @ApiProperty({ format: 'date-time' })
  endedAt: string;

  @ApiProperty({ type: 'integer', description: 'The retention days of the requester’s safeguards when it ended.' })
  retentionDays: number;

  @ApiProperty({ format: 'date-time', description: 'The end plus the retention days.' })
  dueAt: string;

  @ApiProperty({ type: ErasureAttestationViewDto, nullable: true })
  attestation: ErasureAttestationViewDto | null;
}

export class ErasurePageDto {
  @ApiProperty({ type: ErasureDto, isArray: true })
  items: ErasureDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Opaque cursor for the next page (`?cursor=`); null on the last page.' })
  nextCursor: string | null;
}
