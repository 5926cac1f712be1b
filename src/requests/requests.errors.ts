import { BadRequestError, ConflictError, ForbiddenError, RuleViolationError } from '../common/domain-error';

/** The same answer whether the person does not exist or lives outside the requester's jurisdiction. */
export class SubjectNotFoundError extends RuleViolationError {
  constructor() {
    super('subject-not-found', 'No release record matches this subject within your jurisdiction.');
  }
}

export class CategoryNotAllowedError extends RuleViolationError {
  constructor(purpose: string, categories: string[]) {
    super('category-not-allowed', `The purpose ${purpose} does not allow: ${categories.join(', ')}.`, categories.map((c) => ({ field: 'categories', message: `${c} not allowed for ${purpose}` })));
  }
}

export class PurposeNotRegisteredError extends RuleViolationError {
  constructor(purpose: string) {
    super('purpose-not-registered', `Your active safeguards do not list the purpose ${purpose}.`, [{ field: 'purpose', message: 'not in your registered purposes' }]);
  }
}

export class IdempotencyKeyReusedError extends ConflictError {
  constructor() {
    super('idempotency-key-reused', 'This Idempotency-Key was already used with a different body.');
  }
}

export class IdempotencyKeyRequiredError extends BadRequestError {
  constructor() {
    super('idempotency-key-required', 'Send an Idempotency-Key header (1-200 letters, digits, - _ . :).', [{ field: 'Idempotency-Key', message: 'required' }]);
  }
}

export class RequestStateError extends ConflictError {
  constructor(status: string, action: string) {
    super('request-state-conflict', `A request in state ${status} cannot be ${action}.`);
  }
}

/** The policy's `blockOnOverdueErasure`: no new request while an erasure attestation is overdue. */
export class ErasureOverdueError extends ForbiddenError {
  constructor() {
    super('erasure-overdue', 'Your organisation owes an overdue erasure attestation (POST /requests/{id}/erasure); new requests are refused until it is made.');
  }
}

/** A request another officer has taken (担当) cannot be taken until they (or a supervisor) release it. */
export class RequestAlreadyAssignedError extends ConflictError {
  constructor() {
    super('request-already-assigned', 'Another officer has already taken this request.');
  }
}
