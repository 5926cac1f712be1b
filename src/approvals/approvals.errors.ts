import { ConflictError, ForbiddenError, RuleViolationError } from '../common/domain-error';

export class RequestAlreadyDecidedError extends ConflictError {
  constructor() {
    super('request-already-decided', 'This request has already been decided.');
  }
}

export class CategoriesWidenedError extends RuleViolationError {
  constructor(extra: string[]) {
    super('categories-widened', `An approval may narrow the requested categories, never widen them: ${extra.join(', ')}.`, [{ field: 'categories', message: 'not requested' }]);
  }
}

export class SecondApproverRequiredError extends ForbiddenError {
  constructor(message: string) {
    super('second-approval-rules', message);
  }
}

export class LimitExceededError extends RuleViolationError {
  constructor(field: string, message: string) {
    super('approval-limit-exceeded', message, [{ field, message }]);
  }
}
