import { ConflictError, ForbiddenError, RuleViolationError } from '../common/domain-error';

export class SafeguardsNotActiveError extends ForbiddenError {
  constructor() {
    super('safeguards-not-active', 'Your organisation has no active, verified safeguards; register them and wait for verification.');
  }
}

export class MissingMeasuresError extends RuleViolationError {
  constructor(missing: string[], unknown: string[]) {
    super(
      'safeguard-measures-incomplete',
      [missing.length ? `Missing measures: ${missing.join(', ')}.` : '', unknown.length ? `Unknown measures: ${unknown.join(', ')}.` : ''].filter(Boolean).join(' '),
      [...missing.map((code) => ({ field: 'measures', message: `missing ${code}` })), ...unknown.map((code) => ({ field: 'measures', message: `unknown ${code}` }))],
    );
  }
}

export class SafeguardStateError extends ConflictError {
  constructor(from: string, action: string) {
    super('safeguard-state-conflict', `A safeguard registration in state ${from} cannot be ${action}.`);
  }
}
