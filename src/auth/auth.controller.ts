import { Body, Controller, Get, Header, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { RateLimit } from '../common/rate-limit';
import { ROLES } from '../users/user.entity';
import type { Actor } from './actor';
import { AuthService } from './auth.service';
import { Authorize, CurrentActor, Public } from './decorators';
import { LoginDto, MfaVerifyDto, TokenRequestDto, TokenResponseDto } from './dto/token-request.dto';
import { parseTokenRequest } from './token-request';
import { KeysService } from './keys.service';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly keys: KeysService,
  ) {}

  @Post('auth/token')
  @Public()
  @HttpCode(200)
  @RateLimit('auth')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'OAuth 2.0 client credentials grant (form or JSON)' })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ description: 'An access token (RFC 6749 §5.1).', type: TokenResponseDto })
  @ApiBadRequestResponse({ description: 'OAuth `error`: invalid_request, unsupported_grant_type or invalid_scope.' })
  @ApiUnauthorizedResponse({ description: 'OAuth `error` invalid_client: wrong id or secret, or a revoked client; with `WWW-Authenticate: Basic`.' })
  @ApiTooManyRequestsResponse({ description: 'Rate limited; see Retry-After.' })
  token(@Body() body: Record<string, unknown>, @Headers('authorization') authorization?: string) {
    // Not validated by the global pipe: OAuth asks for unknown parameters to be ignored and for its own error codes.
    return this.auth.clientCredentials(parseTokenRequest(body, authorization));
  }

  @Post('auth/login')
  @Public()
  @HttpCode(200)
  @RateLimit('auth')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Staff sign-in with password and TOTP; without TOTP enrolled the token only enrols it' })
  @ApiOkResponse({ description: '{ access_token, token_type, expires_in, mfaEnrollmentRequired? }' })
  @ApiUnauthorizedResponse({ description: 'Sign-in failed, locked for a while, or TOTP code needed.' })
  @ApiTooManyRequestsResponse({ description: 'Rate limited; see Retry-After.' })
  login(@Body() dto: LoginDto) {
    return this.auth.login(dto);
  }

  @Post('auth/mfa/enroll')
  @HttpCode(200)
  @RateLimit('auth')
  @Header('Cache-Control', 'no-store')
  @Authorize({ roles: [...ROLES], mfaPending: true, summary: 'Start TOTP enrolment: answers the otpauth:// URI' })
  async enroll(@CurrentActor() actor: Actor) {
    const { otpauthUri } = await this.auth.enrollMfa(actor);
    return { otpauthUri };
  }

  @Post('auth/mfa/verify')
  @HttpCode(200)
  @RateLimit('auth')
  @Header('Cache-Control', 'no-store')
  @Authorize({ roles: [...ROLES], mfaPending: true, summary: 'Activate TOTP with a first code; answers a full access token' })
  verify(@CurrentActor() actor: Actor, @Body() dto: MfaVerifyDto) {
    return this.auth.verifyMfa(actor, dto.code);
  }

  @Post('auth/logout')
  @HttpCode(204)
  @Authorize({ roles: [...ROLES], mfaPending: true, summary: 'End every token of the signed-in staff user' })
  async logout(@CurrentActor() actor: Actor): Promise<void> {
    await this.auth.logout(actor);
  }

  @Get('.well-known/jwks.json')
  @Public()
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys of the service (tokens, receipts, checkpoints)' })
  jwks() {
    return this.keys.jwks();
  }
}
