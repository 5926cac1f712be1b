import { Body, Controller, Get, Header, Headers, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiExtraModels,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { OAuthErrorDto, ProblemDetailsDto } from '../common/dto/problem-details.dto';
import { PROBLEM_JSON } from '../common/openapi';
import { RateLimit } from '../common/rate-limit';
import { ROLES } from '../users/user.entity';
import type { Actor } from './actor';
import { AuthService } from './auth.service';
import { Authorize, CurrentActor, Public } from './decorators';
import { AccessTokenDto, JwksDto, LoginResponseDto, MfaEnrollmentDto } from './dto/auth-responses.dto';
import { LoginDto, MfaVerifyDto, TokenRequestDto, TokenResponseDto } from './dto/token-request.dto';
import { parseTokenRequest } from './token-request';
import { KeysService } from './keys.service';

/**
 * Token endpoint errors: the OAuth 2.0 error (RFC 6749 §5.2) as application/json, with the problem
 * details members beside `error` and `error_description`.
 */
const OAUTH_ERROR_SCHEMA = { allOf: [{ $ref: getSchemaPath(ProblemDetailsDto) }, { $ref: getSchemaPath(OAuthErrorDto) }] };
const OAUTH_ERROR = { 'application/json': { schema: OAUTH_ERROR_SCHEMA } };
/** A 400 is an OAuth error, or a body the parser refuses before OAuth reads it (plain problem details). */
const OAUTH_OR_PROBLEM = { ...OAUTH_ERROR, [PROBLEM_JSON]: { schema: { $ref: getSchemaPath(ProblemDetailsDto) } } };
const DATABASE_DOWN = 'The database is unavailable; retry after `Retry-After` seconds.';

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
  @ApiHeader({
    name: 'authorization',
    required: false,
    description: 'Optional HTTP Basic client authentication (RFC 6749 §2.3.1) instead of client_id and client_secret in the body.',
  })
  @ApiOkResponse({ description: 'An access token (RFC 6749 §5.1).', type: TokenResponseDto })
  @ApiExtraModels(ProblemDetailsDto, OAuthErrorDto)
  @ApiBadRequestResponse({
    description: 'OAuth `error`: invalid_request, unsupported_grant_type or invalid_scope (a body that cannot be parsed at all is a plain problem without `error`).',
    content: OAUTH_OR_PROBLEM,
  })
  @ApiUnauthorizedResponse({ description: 'OAuth `error` invalid_client: wrong id or secret, or a revoked client; with `WWW-Authenticate: Basic`.', content: OAUTH_ERROR })
  @ApiServiceUnavailableResponse({ description: DATABASE_DOWN })
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
  @ApiOkResponse({ description: 'A staff access token; with mfaEnrollmentRequired (a user without TOTP enrolled, correct password), one that only enrols TOTP.', type: LoginResponseDto })
  @ApiUnauthorizedResponse({ description: 'sign-in-failed, the one answer to every failure: unknown user, disabled, wrong password, missing or wrong TOTP code.' })
  @ApiServiceUnavailableResponse({ description: DATABASE_DOWN })
  login(@Body() dto: LoginDto) {
    return this.auth.login(dto);
  }

  @Post('auth/mfa/enroll')
  @HttpCode(200)
  @RateLimit('auth')
  @Header('Cache-Control', 'no-store')
  @Authorize({ roles: [...ROLES], mfaPending: true, summary: 'Start TOTP enrolment: answers the otpauth:// URI' })
  @ApiOkResponse({ description: 'The new TOTP secret, to be activated with POST /auth/mfa/verify.', type: MfaEnrollmentDto })
  @ApiConflictResponse({ description: 'mfa-already-enrolled.' })
  async enroll(@CurrentActor() actor: Actor) {
    const { otpauthUri } = await this.auth.enrollMfa(actor);
    return { otpauthUri };
  }

  @Post('auth/mfa/verify')
  @HttpCode(200)
  @RateLimit('auth')
  @Header('Cache-Control', 'no-store')
  @Authorize({ roles: [...ROLES], mfaPending: true, summary: 'Activate TOTP with a first code; answers a full access token' })
  @ApiOkResponse({ description: 'A full staff access token.', type: AccessTokenDto })
  @ApiUnauthorizedResponse({ description: 'sign-in-failed: the code is wrong or was used already (a 429 sign-in-throttled after repeated failures from your address).' })
  @ApiConflictResponse({ description: 'mfa-already-enrolled, or mfa-not-started (enrol first).' })
  verify(@CurrentActor() actor: Actor, @Body() dto: MfaVerifyDto) {
    return this.auth.verifyMfa(actor, dto.code);
  }

  @Post('auth/logout')
  @HttpCode(204)
  @Authorize({ roles: [...ROLES], mfaPending: true, summary: 'End every token of the signed-in staff user' })
  @ApiNoContentResponse({ description: 'Every token issued to the user so far stops working.' })
  async logout(@CurrentActor() actor: Actor): Promise<void> {
    await this.auth.logout(actor);
  }

  @Get('.well-known/jwks.json')
  @Public()
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys of the service (tokens, receipts, checkpoints)' })
  @ApiOkResponse({ description: 'A JWK set (RFC 7517): the ES256 key of tokens and receipts, the Ed25519 key of audit checkpoints.', type: JwksDto })
  jwks() {
    return this.keys.jwks();
  }
}
