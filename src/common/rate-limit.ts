import { ExecutionContext, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

export const RATE_LIMIT = 'oie:rateLimit';
export type RateLimitBucket = 'auth' | 'requests';

/** Puts a route under one of the named rate limits (sign-in routes, request creation). */
export const RateLimit = (bucket: RateLimitBucket) => SetMetadata(RATE_LIMIT, bucket);

const reflector = new Reflector();
export function notInBucket(bucket: RateLimitBucket) {
  return (ctx: ExecutionContext) => reflector.get<RateLimitBucket | undefined>(RATE_LIMIT, ctx.getHandler()) !== bucket;
}
