import { ConflictError, RuleViolationError } from '../common/domain-error';

export class ErasureNotDueError extends ConflictError {
  constructor() {
    super('erasure-not-due', 'No erasure is owed for this request: it has not ended after data was retrieved.');
  }
}

export class ErasureAlreadyAttestedError extends ConflictError {
  constructor() {
    super('erasure-already-attested', 'The erasure of this request was attested already.');
  }
}

export class DisposedOnInFutureError extends RuleViolationError {
  constructor() {
    super('disposed-on-in-future', 'disposedOn lies in the future (Japan time).', [{ field: 'disposedOn', message: 'in the future' }]);
  }
}
