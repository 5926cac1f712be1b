import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

/** One field that failed validation or a rule. */
@ApiSchema({ name: 'FieldError' })
export class FieldErrorDto {
  @ApiProperty({
    example: 'plannedResidence.localGovernmentCode',
    description: 'Dotted path of the field (empty for a whole import line).',
  })
  field: string;

  @ApiProperty({ example: 'must be 6 digits', description: 'What is wrong; never echoes the value sent.' })
  message: string;
}

/** RFC 9457 problem details: the body of every error answer (`application/problem+json`). */
@ApiSchema({
  name: 'ProblemDetails',
  description: 'RFC 9457 problem details: the body of every error answer (application/problem+json).',
})
export class ProblemDetailsDto {
  @ApiProperty({
    format: 'uri',
    example: 'https://exchange.example.lg.jp/problems/not-found',
    description: 'The problem type: `PROBLEM_BASE_URL` (or the address the request reached, then `/problems/`) followed by a stable code; `GET /problems/<code>` explains it.',
  })
  type: string;

  @ApiProperty({ example: 'Not Found', description: 'The HTTP status title.' })
  title: string;

  @ApiProperty({ type: 'integer', example: 404 })
  status: number;

  @ApiPropertyOptional({
    example: 'The request does not exist or is not visible to you.',
    description: 'What went wrong; never personal data.',
  })
  detail?: string;

  @ApiPropertyOptional({
    example: '/api/v1/requests/2f0c7a52-5b3e-4d53-9a4f-0f0a1d7e9c11',
    description: 'The path of the request that failed.',
  })
  instance?: string;

  @ApiPropertyOptional({
    example: '9b2d1c0e-58f4-4f0a-bb3e-1f2a3b4c5d6e',
    description: 'The request id (also the X-Request-Id header); quote it when reporting a problem.',
  })
  requestId?: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Field errors of a 400 or 422 answer.' })
  errors?: FieldErrorDto[];
}

export const OAUTH_ERRORS = [
  'invalid_request',
  'invalid_client',
  'invalid_scope',
  'unsupported_grant_type',
] as const;

/**
 * The OAuth 2.0 members a token endpoint error carries beside the problem details (RFC 6749 §5.2).
 * Absent only when the body could not be read at all (for example malformed JSON).
 */
@ApiSchema({
  name: 'OAuthError',
  description:
    'OAuth 2.0 error members of a token endpoint error (RFC 6749 §5.2), beside the problem details members.',
})
export class OAuthErrorDto {
  @ApiPropertyOptional({ enum: OAUTH_ERRORS })
  error?: (typeof OAUTH_ERRORS)[number];

  @ApiPropertyOptional({ description: 'The same text as `detail`.' })
  error_description?: string;
}
