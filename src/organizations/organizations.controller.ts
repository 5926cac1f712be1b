import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, PipeTransform, Post, Query } from '@nestjs/common';
import { NotFoundError } from '../common/domain-error';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPropertyOptional,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { Authorize } from '../auth/decorators';
import { PageQueryDto } from '../common/dto/pagination.dto';
import { CreateClientDto } from './dto/create-client.dto';
import { CreateOrganizationDto } from './dto/create-organization.dto';
import { ClientPageDto, CreatedClientDto, OrganizationDto, OrganizationPageDto } from './dto/organization-views.dto';
import { ORGANIZATION_KINDS } from './organization.entity';
import type { OrganizationKind } from './organization.entity';
import { OrganizationsService } from './organizations.service';

class ListOrganizationsQuery extends PageQueryDto {
  @ApiPropertyOptional({ enum: ORGANIZATION_KINDS })
  @IsOptional()
  @IsIn(ORGANIZATION_KINDS)
  kind?: OrganizationKind;
}

/** Client ids are `oie_` and base64url; anything else is simply not found. */
class ParseClientIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{1,100}$/.test(value)) throw new NotFoundError('client');
    return value;
  }
}

@ApiTags('organizations')
@Controller()
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Post('organizations')
  @Authorize({ roles: ['admin'], summary: 'Create an organisation' })
  @ApiCreatedResponse({ description: 'The organisation.', type: OrganizationDto })
  @ApiUnprocessableEntityResponse({ description: 'Bad local government code (check digit, or one given to a kind that has none) or parent.' })
  @ApiConflictResponse({ description: 'The local government code is taken.' })
  create(@Body() dto: CreateOrganizationDto) {
    return this.organizations.create(dto);
  }

  @Get('organizations')
  @Authorize({ roles: ['admin', 'safeguard_reviewer', 'auditor'], summary: 'List organisations' })
  @ApiOkResponse({ description: 'Newest first.', type: OrganizationPageDto })
  list(@Query() query: ListOrganizationsQuery) {
    return this.organizations.list(query);
  }

  @Get('organizations/:id')
  @Authorize({ roles: ['admin', 'safeguard_reviewer', 'auditor'], summary: 'Read one organisation' })
  @ApiOkResponse({ description: 'The organisation.', type: OrganizationDto })
  @ApiNotFoundResponse({ description: 'No such organisation.' })
  get(@Param('id', ParseUUIDPipe) id: string) {
    return this.organizations.get(id);
  }

  @Post('organizations/:id/clients')
  @Authorize({ roles: ['admin'], summary: 'Create an API client; the secret is shown only in this answer' })
  @ApiCreatedResponse({ description: 'The client with its secret (shown only here).', type: CreatedClientDto })
  @ApiNotFoundResponse({ description: 'No such organisation.' })
  @ApiUnprocessableEntityResponse({ description: 'A scope the organisation kind may not hold.' })
  createClient(@Param('id', ParseUUIDPipe) id: string, @Body() dto: CreateClientDto) {
    return this.organizations.createClient(id, dto);
  }

  @Get('organizations/:id/clients')
  @Authorize({ roles: ['admin'], summary: 'List an organisation’s API clients (never their secrets)' })
  @ApiOkResponse({ description: 'Every client, oldest first, revoked ones included.', type: ClientPageDto })
  @ApiNotFoundResponse({ description: 'No such organisation.' })
  listClients(@Param('id', ParseUUIDPipe) id: string) {
    return this.organizations.listClients(id).then((items) => ({ items, nextCursor: null }));
  }

  @Delete('clients/:clientId')
  @HttpCode(204)
  @Authorize({ roles: ['admin'], summary: 'Revoke an API client at once' })
  @ApiNoContentResponse({ description: 'Revoked (revoking a revoked client again changes nothing).' })
  @ApiNotFoundResponse({ description: 'No such client.' })
  async revokeClient(@Param('clientId', new ParseClientIdPipe()) clientId: string): Promise<void> {
    await this.organizations.revokeClient(clientId);
  }
}
