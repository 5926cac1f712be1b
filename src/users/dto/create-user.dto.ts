import { IsPlainText } from '../../common/dto/validators';
import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { ROLES, Role } from '../user.entity';

export class CreateUserDto {
  @ApiProperty({ example: 'tanaka.k', pattern: '^[a-zA-Z0-9._-]{3,64}$' })
  @IsString()
  @Matches(/^[a-zA-Z0-9._-]{3,64}$/, { message: 'must be 3-64 letters, digits, dot, dash or underscore' })
  username: string;

  @ApiProperty({ example: '田中 一郎', maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @IsPlainText()
  displayName: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  organizationId: string;

  @ApiProperty({ enum: ROLES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  @ArrayUnique()
  @IsIn(ROLES, { each: true })
  roles: Role[];

  @ApiProperty({ minLength: 12, maxLength: 256, writeOnly: true })
  @IsString()
  @MinLength(12)
  @MaxLength(256)
  password: string;
}
