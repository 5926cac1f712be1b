import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { Actor } from '../auth/actor';
import { Authorize, CurrentActor } from '../auth/decorators';
import { AttestErasureDto, ErasureDto, ErasurePageDto, ListErasureQuery } from './dto/erasure.dto';
import { ErasureService } from './erasure.service';

@ApiTags('erasure')
@Controller()
export class ErasureController {
  constructor(private readonly erasure: ErasureService) {}

  @Post('requests/:id/erasure')
  @Authorize({ scopes: ['requests:write'], summary: 'Attest the erasure of the data retrieved under your ended request (消去の確認)' })
  @ApiCreatedResponse({ description: 'The attestation, on record; the request now shows `erasure: attested`.', type: ErasureDto })
  @ApiNotFoundResponse({ description: 'Not yours (never says whether it exists).' })
  @ApiConflictResponse({ description: 'erasure-not-due (the request has not ended after a retrieval), or erasure-already-attested.' })
  @ApiUnprocessableEntityResponse({ description: 'disposed-on-in-future.' })
  attest(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: AttestErasureDto) {
    return this.erasure.attest(actor, id, dto);
  }

  @Get('erasure')
  @Authorize({ roles: ['safeguard_reviewer'], summary: 'Erasure obligations of every municipality by state, soonest due first' })
  @ApiOkResponse({ description: 'One page of obligations.', type: ErasurePageDto })
  list(@Query() query: ListErasureQuery) {
    return this.erasure.list(query);
  }
}
