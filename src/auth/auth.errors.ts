import { AUTH_REALM, BadRequestError, ConflictError, DomainError, UnauthenticatedError } from '../common/domain-error';

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

/**
 * The one answer to every failed sign-in: unknown user, disabled account, wrong password, missing
 * or wrong TOTP code. It never says which, so it never confirms a password.
 */
export class SignInFailedError extends UnauthenticatedError {
  constructor() {
    super('sign-in-failed', 'Sign-in failed: check the user name, password and, once TOTP is enrolled, the 6-digit code.');
  }
}

/** Too many failed sign-ins for this account from this address, or from this address in all. */
export class SignInThrottledError extends DomainError {
  readonly code = 'sign-in-throttled';
  readonly status = 429;
  constructor(retryAfterSeconds: number) {
    super('Too many failed sign-ins from your address. Wait the seconds in Retry-After and try again.');
    this.headers = { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) };
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
