import { AUTH_REALM, BadRequestError, ConflictError, UnauthenticatedError } from '../common/domain-error';

/**
 * The token endpoint answers errors as OAuth 2.0 clients expect (RFC 6749 §5.2): the `error` and
 * `error_description` members ride along beside the problem details members.
 */
export interface OAuthErrorShape {
  readonly error: string;
}

export class InvalidClientError extends UnauthenticatedError implements OAuthErrorShape {
  readonly error = 'invalid_client';
  constructor() {
    super('invalid-client', 'The client id or secret is wrong, or the client is revoked.');
    this.headers = { 'WWW-Authenticate': `Basic realm="${AUTH_REALM}", charset="UTF-8"` };
  }
}

/** A missing, repeated or malformed parameter, or more than one way of client authentication. */
export class InvalidTokenRequestError extends BadRequestError implements OAuthErrorShape {
  readonly error = 'invalid_request';
  constructor(message: string, errors?: { field: string; message: string }[]) {
    super('invalid-request', message, errors);
  }
}

export class UnsupportedGrantTypeError extends BadRequestError implements OAuthErrorShape {
  readonly error = 'unsupported_grant_type';
  constructor() {
    super('unsupported-grant-type', 'Only the client_credentials grant is supported.', [{ field: 'grant_type', message: 'must be client_credentials' }]);
  }
}

export class SignInFailedError extends UnauthenticatedError {
  constructor() {
    super('sign-in-failed', 'Sign-in failed. After repeated failures sign-in pauses for a while; try again later or ask an administrator.');
  }
}

export class MfaCodeRequiredError extends UnauthenticatedError {
  constructor() {
    super('mfa-code-required', 'This account needs its 6-digit TOTP code.');
  }
}

export class InvalidScopeError extends BadRequestError implements OAuthErrorShape {
  readonly error = 'invalid_scope';
  constructor() {
    super('invalid-scope', 'The requested scope is not granted to this client.', [{ field: 'scope', message: 'not granted' }]);
  }
}

export class MfaAlreadyEnrolledError extends ConflictError {
  constructor() {
    super('mfa-already-enrolled', 'TOTP is already active for this account; an administrator can reset it.');
  }
}

export class MfaNotStartedError extends ConflictError {
  constructor() {
    super('mfa-not-started', 'Start the enrolment with POST /auth/mfa/enroll first.');
  }
}
