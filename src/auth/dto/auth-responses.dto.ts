import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** A staff access token (sign-in, TOTP activation). */
export class AccessTokenDto {
  @ApiProperty({ description: 'A signed JWT (ES256); its public key is in the JWKS.' })
  access_token: string;

  @ApiProperty({ enum: ['Bearer'] })
  token_type: 'Bearer';

  @ApiProperty({ type: 'integer', description: 'Seconds until the token expires.', example: 900 })
  expires_in: number;
}

export class LoginResponseDto extends AccessTokenDto {
  @ApiPropertyOptional({
    type: Boolean,
    description:
      'Present (true) when TOTP is not enrolled yet: the token then only enrols it (POST /auth/mfa/enroll, /auth/mfa/verify) and lives 10 minutes.',
  })
  mfaEnrollmentRequired?: boolean;
}

export class MfaEnrollmentDto {
  @ApiProperty({ description: 'The TOTP secret as an otpauth:// URI (scan it as a QR code).' })
  otpauthUri: string;
}

/** One public key (RFC 7517). */
export class JwkDto {
  @ApiProperty({
    enum: ['EC', 'OKP'],
    description: 'EC for the ES256 key (tokens, receipts), OKP for the Ed25519 key (audit checkpoints).',
  })
  kty: string;

  @ApiProperty({ enum: ['P-256', 'Ed25519'] })
  crv: string;

  @ApiProperty({ description: 'Base64url public key coordinate.' })
  x: string;

  @ApiPropertyOptional({ description: 'Base64url y coordinate (EC keys only).' })
  y?: string;

  @ApiProperty({ description: 'The RFC 7638 thumbprint of the key (SHA-256); JWS headers name it.' })
  kid: string;

  @ApiProperty({ enum: ['ES256', 'EdDSA'] })
  alg: string;

  @ApiProperty({ enum: ['sig'] })
  use: string;
}

export class JwksDto {
  @ApiProperty({ type: [JwkDto] })
  keys: JwkDto[];
}
