import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '../../common/dto/page.dto';
import { CLIENT_SCOPES } from '../api-client.entity';
import type { ClientScope } from '../api-client.entity';
import { ORGANIZATION_KINDS } from '../organization.entity';
import type { OrganizationKind } from '../organization.entity';

export class OrganizationDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: ORGANIZATION_KINDS })
  kind: OrganizationKind;

  @ApiProperty({ example: '大阪市' })
  name: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '271004',
    description: 'Municipalities and prefectures only.',
  })
  localGovernmentCode: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  parentId: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class OrganizationPageDto extends PageOf(OrganizationDto) {}

/** An API client; its secret is never shown again after creation. */
export class ClientDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'oie_3q2Zb1xY8cVn0aLm', description: 'The OAuth client_id.' })
  clientId: string;

  @ApiProperty({ format: 'uuid' })
  organizationId: string;

  @ApiProperty({ type: String, nullable: true, example: 'Osaka City case system' })
  name: string | null;

  @ApiProperty({ enum: CLIENT_SCOPES, isArray: true })
  scopes: ClientScope[];

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When it was revoked; null while active.',
  })
  revokedAt: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class CreatedClientDto extends ClientDto {
  @ApiProperty({ description: 'The OAuth client_secret: shown only in this answer, stored only as a hash.' })
  clientSecret: string;
}

export class ClientPageDto extends PageOf(ClientDto, { single: true }) {}
