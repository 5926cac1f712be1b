/**
 * A rule of the domain was broken. Services throw these; the global filter turns them into RFC 9457
 * problem details. `code` is stable and becomes the problem type slug; `status` is the HTTP status.
 * Messages never carry personal data.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  /** Field errors for 400/422 answers. */
  errors?: { field: string; message: string }[];
  /** True when the service already wrote the audit event for this refusal. */
  audited = false;
  /** Response headers the answer must carry (for example `WWW-Authenticate` on a 401). */
  headers?: Record<string, string>;

  constructor(message: string, errors?: { field: string; message: string }[]) {
    super(message);
    this.name = new.target.name;
    this.errors = errors;
  }

  markAudited(): this {
    this.audited = true;
    return this;
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'not-found';
  readonly status = 404;
  constructor(what = 'resource') {
    super(`The ${what} does not exist or is not visible to you.`);
  }
}

export class ForbiddenError extends DomainError {
  readonly code: string;
  readonly status = 403;
  constructor(code = 'forbidden', message = 'You are not allowed to do this.') {
    super(message);
    this.code = code;
  }
}

export class ConflictError extends DomainError {
  readonly code: string;
  readonly status = 409;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export class RuleViolationError extends DomainError {
  readonly code: string;
  readonly status = 422;
  constructor(code: string, message: string, errors?: { field: string; message: string }[]) {
    super(message, errors);
    this.code = code;
  }
}

export class UnauthenticatedError extends DomainError {
  readonly code: string;
  readonly status = 401;
  constructor(code = 'unauthenticated', message = 'A valid access token is required.') {
    super(message);
    this.code = code;
    // RFC 6750 §3: a 401 from a bearer-protected resource names the scheme.
    this.headers = { 'WWW-Authenticate': `Bearer realm="${AUTH_REALM}"` };
  }
}

/** The realm named in `WWW-Authenticate` challenges. */
export const AUTH_REALM = 'offender-info-exchange';

export class BadRequestError extends DomainError {
  readonly code: string;
  readonly status = 400;
  constructor(code: string, message: string, errors?: { field: string; message: string }[]) {
    super(message, errors);
    this.code = code;
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly code = 'unsupported-media-type';
  readonly status = 415;
  constructor(message = 'This content type is not accepted here.') {
    super(message);
  }
}

/** PostgreSQL error codes the repositories map to domain errors. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_SERIALIZATION_FAILURE = '40001';

export function isPgError(err: unknown, code: string): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  return e?.code === code || e?.driverError?.code === code;
}
