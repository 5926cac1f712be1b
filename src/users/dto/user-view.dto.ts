import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '../../common/dto/page.dto';
import { ROLES } from '../user.entity';
import type { Role } from '../user.entity';

export class UserDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'tanaka.k' })
  username: string;

  @ApiProperty({ example: '田中 一郎' })
  displayName: string;

  @ApiProperty({ format: 'uuid' })
  organizationId: string;

  @ApiProperty({ enum: ROLES, isArray: true })
  roles: Role[];

  @ApiProperty()
  disabled: boolean;

  @ApiProperty({ description: 'Whether TOTP is enrolled.' })
  mfaEnrolled: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class UserPageDto extends PageOf(UserDto) {}
