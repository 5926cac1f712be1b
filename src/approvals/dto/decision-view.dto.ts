import { ApiProperty } from '@nestjs/swagger';
import type { Category } from '../../../config/configuration';
import { PageOf } from '../../common/dto/page.dto';
import { HolderRequestDto } from '../../requests/dto/request-view.dto';
import { CATEGORIES } from '../../requests/dto/create-request.dto';

/** One decision on a request: stage 1 and, for sensitive categories, stage 2 (another supervisor); stage 3 is a revocation. */
export class DecisionDto {
  @ApiProperty({ type: 'integer', enum: [1, 2, 3] })
  stage: number;

  @ApiProperty({ enum: ['approve', 'reject', 'revoke'] })
  decision: 'approve' | 'reject' | 'revoke';

  @ApiProperty({ format: 'uuid', description: 'The staff user who decided.' })
  decidedBy: string;

  @ApiProperty({ enum: CATEGORIES, isArray: true, nullable: true, description: 'Approvals only.' })
  categories: Category[] | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Approvals only.' })
  accessUntil: string | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Approvals only.' })
  maxRetrievals: number | null;

  @ApiProperty()
  reason: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class DecisionPageDto extends PageOf(DecisionDto, { single: true }) {}

export class DecidedRequestDto extends HolderRequestDto {
  @ApiProperty({ type: [DecisionDto], description: 'Every decision so far, by stage.' })
  decisions: DecisionDto[];
}
