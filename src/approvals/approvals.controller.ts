import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { HolderRequestDto } from '../requests/dto/request-view.dto';
import { DecidedRequestDto, DecisionPageDto } from './dto/decision-view.dto';
import type { Actor } from '../auth/actor';
import { Authorize, CurrentActor } from '../auth/decorators';
import { ApprovalsService } from './approvals.service';
import { DecideRequestDto, RevokeDto } from './dto/decide-request.dto';

@ApiTags('approvals')
@Controller('requests')
export class ApprovalsController {
  constructor(private readonly approvals: ApprovalsService) {}

  @Post(':id/decisions')
  @HttpCode(200)
  @Authorize({ roles: ['case_officer'], summary: 'Approve (narrowing categories, window, retrievals) or reject a request routed to your agency' })
  @ApiOkResponse({
    description: 'The request after the decision: approved, rejected, or awaiting_second_approval (a sensitive category needs a second supervisor).',
    type: DecidedRequestDto,
  })
  @ApiForbiddenResponse({ description: 'requester-cannot-decide, or second-approval-rules (the second approval needs another supervisor).' })
  @ApiNotFoundResponse({ description: 'Not routed to your agency.' })
  @ApiConflictResponse({ description: 'request-already-decided (also the loser of two concurrent decisions).' })
  @ApiUnprocessableEntityResponse({ description: 'categories-widened or approval-limit-exceeded.' })
  decide(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: DecideRequestDto) {
    return this.approvals.decide(actor, id, dto);
  }

  @Get(':id/decisions')
  @Authorize({ roles: ['case_officer'], summary: 'The decisions on a request routed to your agency' })
  @ApiOkResponse({ description: 'Every decision, by stage.', type: DecisionPageDto })
  @ApiNotFoundResponse({ description: 'Not routed to your agency.' })
  list(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.approvals.decisionsFor(actor, id);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @Authorize({ roles: ['case_officer'], summary: 'Revoke an approval: later retrievals are refused' })
  @ApiOkResponse({ description: 'The request, revoked.', type: HolderRequestDto })
  @ApiNotFoundResponse({ description: 'Not routed to your agency.' })
  @ApiConflictResponse({ description: 'Not approved.' })
  revoke(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: RevokeDto) {
    return this.approvals.revoke(actor, id, dto.reason);
  }
}
