import { UnauthenticatedError, RuleViolationError, ConflictError } from '../common/domain-error';

export class InvalidClientError extends UnauthenticatedError {
  readonly error = 'invalid_client';
  constructor() {
    super('invalid-client', 'The client id or secret is wrong, or the client is revoked.');
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

export class InvalidScopeError extends RuleViolationError {
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
