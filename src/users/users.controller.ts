import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiPropertyOptional, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import { Authorize } from '../auth/decorators';
import { PageQueryDto } from '../common/dto/pagination.dto';
import { CreateUserDto } from './dto/create-user.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { UserDto, UserPageDto } from './dto/user-view.dto';
import { UsersService } from './users.service';

class ListUsersQuery extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  organizationId?: string;
}

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @Authorize({ roles: ['admin'], summary: 'Create a staff user' })
  @ApiCreatedResponse({ description: 'The user; they enrol TOTP at their first sign-in.', type: UserDto })
  @ApiUnprocessableEntityResponse({ description: 'Unknown organisation, or a role that does not fit it.' })
  @ApiConflictResponse({ description: 'The username is taken.' })
  create(@Body() dto: CreateUserDto) {
    return this.users.create(dto);
  }

  @Get()
  @Authorize({ roles: ['admin'], summary: 'List staff users' })
  @ApiOkResponse({ description: 'Newest first.', type: UserPageDto })
  list(@Query() query: ListUsersQuery) {
    return this.users.list(query);
  }

  @Patch(':id')
  @Authorize({ roles: ['admin'], summary: 'Change roles, organisation, password or disabled; reset TOTP' })
  @ApiOkResponse({ description: 'The user as changed.', type: UserDto })
  @ApiNotFoundResponse({ description: 'No such user.' })
  @ApiUnprocessableEntityResponse({ description: 'Unknown organisation, or a role that does not fit it.' })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateUserDto) {
    return this.users.update(id, dto);
  }
}
