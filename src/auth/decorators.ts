import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiForbiddenResponse, ApiOperation, ApiServiceUnavailableResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { PUBLIC_OPERATION } from '../common/openapi';
import type { ClientScope } from '../organizations/api-client.entity';
import type { Role } from '../users/user.entity';
import type { Actor as ActorType } from './actor';

export const IS_PUBLIC = 'oie:isPublic';
export const AUTHORIZE = 'oie:authorize';

export interface AuthorizePolicy {
  /** Staff roles allowed (supervisor implies case_officer). */
  roles?: Role[];
  /** Client scopes allowed. */
  scopes?: ClientScope[];
  /** Allows a staff token that has not completed TOTP (enrolment only). */
  mfaPending?: boolean;
  /** OpenAPI summary of the route. */
  summary?: string;
}

/** An open route: no token needed (its OpenAPI operation says `security: []`). Everything else requires one. */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_OPERATION, true));

/**
 * Who may call this route. A route with neither `@Public()` nor `@Authorize()` is refused to
 * everyone, so a forgotten decorator fails closed. Also documents the rule in OpenAPI.
 */
export function Authorize(policy: AuthorizePolicy) {
  const who = [
    policy.roles?.length ? `roles: ${policy.roles.join(', ')}` : '',
    policy.scopes?.length ? `scopes: ${policy.scopes.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return applyDecorators(
    SetMetadata(AUTHORIZE, policy),
    ApiBearerAuth(),
    ApiOperation({ summary: policy.summary, description: `Allowed to ${who || 'any signed-in caller'}.` }),
    ApiUnauthorizedResponse({ description: 'No token, or an invalid, expired or revoked one (problem+json).' }),
    ApiForbiddenResponse({ description: 'The caller lacks the role or scope, or a rule forbids it (problem+json).' }),
    ApiServiceUnavailableResponse({ description: 'The database is unavailable; retry after `Retry-After` seconds.' }),
  );
}

export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): ActorType => {
  return ctx.switchToHttp().getRequest<{ user: ActorType }>().user;
});
