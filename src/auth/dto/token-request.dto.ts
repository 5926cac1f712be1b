import { ApiProperty } from '@nestjs/swagger';
import { Equals, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

export class TokenRequestDto {
  @ApiProperty({ enum: ['client_credentials'] })
  @Equals('client_credentials', { message: 'must be client_credentials' })
  grant_type: 'client_credentials';

  @ApiProperty({ required: false, description: 'In the body, or with HTTP Basic (`Authorization: Basic`, RFC 6749 §2.3.1): one of the two is required.' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  client_id: string;

  @ApiProperty({ required: false, writeOnly: true, description: 'In the body, or with HTTP Basic; one of the two, never both.' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  client_secret: string;

  @ApiProperty({ required: false, description: 'Space-separated subset of the client’s scopes.' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z:]+( [a-z:]+)*$/, { message: 'must be space-separated scopes' })
  scope?: string;
}

export class LoginDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  username: string;

  @ApiProperty({ writeOnly: true })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password: string;

  @ApiProperty({ required: false, description: 'The 6-digit TOTP code, once enrolled.' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{6}$/, { message: 'must be 6 digits' })
  totp?: string;
}

export class MfaVerifyDto {
  @ApiProperty({ example: '123456' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'must be 6 digits' })
  code: string;
}

export class TokenResponseDto {
  @ApiProperty({ description: 'A signed JWT (ES256); its public key is in the JWKS.' })
  access_token: string;

  @ApiProperty({ enum: ['Bearer'] })
  token_type: 'Bearer';

  @ApiProperty({ description: 'Seconds until the token expires.', example: 600 })
  expires_in: number;

  @ApiProperty({ description: 'The scopes granted, space-separated.', example: 'safeguards:write requests:write disclosures:read' })
  scope: string;
}
