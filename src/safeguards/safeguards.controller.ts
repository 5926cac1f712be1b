import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiPropertyOptional, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import type { Actor } from '../auth/actor';
import { Authorize, CurrentActor } from '../auth/decorators';
import { NotFoundError } from '../common/domain-error';
import { OrganizationsService } from '../organizations/organizations.service';
import { ReasonDto, RegisterSafeguardsDto, VerifySafeguardsDto } from './dto/register-safeguards.dto';
import { CurrentSafeguardsDto, SafeguardDto, SafeguardPageDto } from './dto/safeguard-view.dto';
import { SAFEGUARD_STATUSES } from './safeguard.entity';
import type { SafeguardStatus } from './safeguard.entity';
import { SafeguardsService } from './safeguards.service';

class ListSafeguardsQuery {
  @ApiPropertyOptional({ enum: SAFEGUARD_STATUSES, default: 'submitted' })
  @IsOptional()
  @IsIn(SAFEGUARD_STATUSES)
  status?: SafeguardStatus;
}

@ApiTags('safeguards')
@Controller()
export class SafeguardsController {
  constructor(
    private readonly safeguards: SafeguardsService,
    private readonly organizations: OrganizationsService,
  ) {}

  @Put('safeguards')
  @Authorize({ scopes: ['safeguards:write'], summary: 'Register a new version of your safeguards (state submitted)' })
  @ApiCreatedResponse({ description: 'The new version, in state submitted.', type: SafeguardDto })
  @ApiUnprocessableEntityResponse({ description: 'Missing or unknown measures (named), an ordinance purpose without an ordinance, or not a local government.' })
  @HttpCode(201)
  register(@CurrentActor() actor: Actor, @Body() dto: RegisterSafeguardsDto) {
    return this.safeguards.register(actor, dto);
  }

  @Get('safeguards/current')
  @Authorize({ scopes: ['safeguards:write', 'requests:write', 'disclosures:read'], summary: 'Your active and latest safeguards' })
  @ApiOkResponse({ description: 'The version in force (if any) and the newest one.', type: CurrentSafeguardsDto })
  current(@CurrentActor() actor: Actor) {
    return this.safeguards.current(actor.orgId);
  }

  @Get('safeguards')
  @Authorize({ roles: ['safeguard_reviewer'], summary: 'Registrations by state (default: submitted, oldest first)' })
  @ApiOkResponse({ description: 'At most 500, oldest first.', type: SafeguardPageDto })
  list(@Query() query: ListSafeguardsQuery) {
    return this.safeguards.listByStatus(query.status ?? 'submitted').then((items) => ({ items, nextCursor: null }));
  }

  @Get('organizations/:id/safeguards')
  @Authorize({ roles: ['safeguard_reviewer'], summary: 'Every version of one organisation’s safeguards' })
  @ApiOkResponse({ description: 'Every version, newest first.', type: SafeguardPageDto })
  @ApiNotFoundResponse({ description: 'No such organisation.' })
  async forOrganization(@Param('id', ParseUUIDPipe) id: string) {
    if (!(await this.organizations.find(id))) throw new NotFoundError('organisation');
    return { items: await this.safeguards.listForOrganization(id), nextCursor: null };
  }

  @Post('safeguards/:id/verify')
  @HttpCode(200)
  @Authorize({ roles: ['safeguard_reviewer'], summary: 'Verify a submitted version: it becomes active until validUntil' })
  @ApiOkResponse({ description: 'The version, now active; the previous active one is superseded.', type: SafeguardDto })
  @ApiNotFoundResponse({ description: 'No such registration.' })
  @ApiConflictResponse({ description: 'Not in state submitted.' })
  @ApiUnprocessableEntityResponse({ description: 'valid-until-in-past.' })
  verify(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: VerifySafeguardsDto) {
    return this.safeguards.verify(actor, id, dto.validUntil);
  }

  @Post('safeguards/:id/reject')
  @HttpCode(200)
  @Authorize({ roles: ['safeguard_reviewer'], summary: 'Reject a submitted version with a reason' })
  @ApiOkResponse({ description: 'The version, now rejected.', type: SafeguardDto })
  @ApiNotFoundResponse({ description: 'No such registration.' })
  @ApiConflictResponse({ description: 'Not in state submitted.' })
  reject(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: ReasonDto) {
    return this.safeguards.reject(actor, id, dto.reason);
  }

  @Post('safeguards/:id/suspend')
  @HttpCode(200)
  @Authorize({ roles: ['safeguard_reviewer'], summary: 'Suspend an active version: disclosures stop at once' })
  @ApiOkResponse({ description: 'The version, now suspended.', type: SafeguardDto })
  @ApiNotFoundResponse({ description: 'No such registration.' })
  @ApiConflictResponse({ description: 'Not in state active.' })
  suspend(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: ReasonDto) {
    return this.safeguards.suspend(actor, id, dto.reason);
  }
}
