import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { Actor } from '../auth/actor';
import { Authorize, CurrentActor } from '../auth/decorators';
import { RateLimit } from '../common/rate-limit';
import { CreateRequestDto, ListRequestsQuery, WithdrawDto } from './dto/create-request.dto';
import { HolderRequestDto, REQUEST_FOR_CALLER, RequestDto, RequestPageDto } from './dto/request-view.dto';
import { RequestsService } from './requests.service';

@ApiTags('requests')
@ApiExtraModels(HolderRequestDto, RequestDto)
@Controller('requests')
export class RequestsController {
  constructor(private readonly requests: RequestsService) {}

  @Post()
  @RateLimit('requests')
  @Authorize({ scopes: ['requests:write'], summary: 'Ask the holder of one person’s record for data, for a stated purpose' })
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: 'The same key with the same body answers the same request; with another body, 409.' })
  @ApiCreatedResponse({
    description: 'The request, pending; a replay of the same key and body answers the same request again.',
    type: RequestDto,
    headers: { 'Idempotent-Replayed': { description: '`true` when this answers an earlier call with the same key.', schema: { type: 'string', enum: ['true'] } } },
  })
  @ApiBadRequestResponse({ description: 'idempotency-key-required, ambiguous-subject (recordRef and name both given), or a field fails validation.' })
  @ApiForbiddenResponse({ description: 'safeguards-not-active: no verified, active safeguards.' })
  @ApiUnprocessableEntityResponse({
    description: 'category-not-allowed, purpose-not-registered, ordinance-required, not-a-local-government, or subject-not-found (also when outside your jurisdiction).',
  })
  @ApiConflictResponse({ description: 'idempotency-key-reused.' })
  async create(
    @CurrentActor() actor: Actor,
    @Headers('idempotency-key') key: string | undefined,
    @Body() dto: CreateRequestDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { replayed, view } = await this.requests.create(actor, key, dto);
    res.status(201);
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    return view;
  }

  @Get()
  @Authorize({ roles: ['case_officer'], scopes: ['requests:write', 'disclosures:read'], summary: 'Your requests (municipality) or those routed to your agency (staff)' })
  @ApiOkResponse({ description: 'Newest first; RequestDto items for a local government, HolderRequestDto items for the holder’s staff.', type: RequestPageDto })
  list(@CurrentActor() actor: Actor, @Query() query: ListRequestsQuery) {
    return this.requests.list(actor, query);
  }

  @Get(':id')
  @Authorize({ roles: ['case_officer'], scopes: ['requests:write', 'disclosures:read'], summary: 'One request you made or that was routed to your agency' })
  @ApiOkResponse({ description: 'The request: RequestDto for the requester, HolderRequestDto (with requester and recordRef) for the holder’s staff.', schema: REQUEST_FOR_CALLER })
  @ApiNotFoundResponse({ description: 'Not yours (never says whether it exists).' })
  get(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.requests.get(actor, id);
  }

  @Post(':id/withdraw')
  @HttpCode(200)
  @Authorize({ scopes: ['requests:write'], summary: 'Withdraw your request while it is undecided' })
  @ApiOkResponse({ description: 'The request, withdrawn.', type: RequestDto })
  @ApiNotFoundResponse({ description: 'Not yours.' })
  @ApiConflictResponse({ description: 'Already decided.' })
  withdraw(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: WithdrawDto) {
    return this.requests.withdraw(actor, id, dto.reason);
  }
}
