import { IsPlainText } from '../../common/dto/validators';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayUnique, IsArray, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { CLIENT_SCOPES, ClientScope } from '../api-client.entity';

export class CreateClientDto {
  @ApiPropertyOptional({ example: 'Osaka City case system', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @IsPlainText()
  name?: string;

  @ApiPropertyOptional({ enum: CLIENT_SCOPES, isArray: true, description: 'Defaults to every scope the organisation kind may hold.' })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(CLIENT_SCOPES, { each: true })
  scopes?: ClientScope[];
}
