import { applyDecorators, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';

export const RATE_LIMIT = 'oie:rateLimit';
export type RateLimitBucket = 'auth' | 'requests';

/** Puts a route under one of the named rate limits (sign-in routes, request creation); OpenAPI lists its 429. */
export const RateLimit = (bucket: RateLimitBucket) =>
  applyDecorators(
    SetMetadata(RATE_LIMIT, bucket),
    ApiTooManyRequestsResponse({ description: `Rate limited (the ${bucket} limit per minute); retry after \`Retry-After\` seconds.` }),
  );

const reflector = new Reflector();
export function notInBucket(bucket: RateLimitBucket) {
  return (ctx: ExecutionContext) => reflector.get<RateLimitBucket | undefined>(RATE_LIMIT, ctx.getHandler()) !== bucket;
}
