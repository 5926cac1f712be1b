import { ConflictError, RuleViolationError } from '../common/domain-error';

export class InvalidLocalGovernmentCodeError extends RuleViolationError {
  constructor(message = 'The local government code is not a valid 6-digit code with its check digit.') {
    super('invalid-local-government-code', message, [{ field: 'localGovernmentCode', message }]);
  }
}

export class DuplicateLocalGovernmentCodeError extends ConflictError {
  constructor() {
    super('duplicate-local-government-code', 'An organisation with this local government code already exists.');
  }
}

export class ScopeNotAllowedError extends RuleViolationError {
  constructor(scopes: string[]) {
    super('scope-not-allowed', `These scopes do not fit this kind of organisation: ${scopes.join(', ')}.`, [
      { field: 'scopes', message: 'not allowed for this organisation kind' },
    ]);
  }
}
