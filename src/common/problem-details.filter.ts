import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject, Logger, Optional } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from './domain-error';
import { ProblemDetails, STATUS_SLUGS, STATUS_TITLES, problemType } from './problem';
import { DENIAL_RECORDER } from './denial-recorder';
import type { DenialRecorder } from './denial-recorder';

const DB_UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300']);

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string }; message?: string; name?: string };
  const code = e?.driverError?.code ?? e?.code;
  if (code && DB_UNAVAILABLE_CODES.has(code)) return true;
  const msg = typeof e?.message === 'string' ? e.message : '';
  return (
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Cannot use a pool after calling end/i.test(msg) ||
    e?.name === 'CannotConnectError' ||
    e?.name === 'QueryRunnerAlreadyReleasedError' ||
    e?.name === 'QueryRunnerProviderAlreadyReleasedError'
  );
}

/** Strips the first line (the message, which may carry values) from a stack before logging it. */
function safeStack(err: unknown): string | undefined {
  const stack = (err as Error)?.stack;
  return stack?.split('\n').slice(1, 12).join('\n');
}

/**
 * The only place that turns errors into HTTP answers: RFC 9457 problem details for everything,
 * unknown routes included. Never a stack, a SQL message or a personal value in the body.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(@Optional() @Inject(DENIAL_RECORDER) private readonly denials?: DenialRecorder) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const problem = this.toProblem(exception, req, res);
    // Every refusal is on record: a 401 or 403, and a 404 of an object a service looked up (not yours,
    // or none); services that audit their own refusals mark them so that they are not recorded twice.
    const refused = problem.status === 401 || problem.status === 403 || (problem.status === 404 && exception instanceof DomainError);
    if (refused && !(exception instanceof DomainError && exception.audited)) {
      await this.denials?.recordDenial(req, problem.status, problem.type.slice(problem.type.lastIndexOf('/') + 1));
    }
    if (res.headersSent) return;
    if (exception instanceof DomainError && exception.headers) {
      for (const [name, value] of Object.entries(exception.headers)) res.setHeader(name, value);
    }
    // An OAuth error (RFC 6749 §5.2) is application/json, as OAuth clients parse it; its problem details members stay.
    const oauth = typeof (problem as { error?: unknown }).error === 'string';
    res.status(problem.status).type(oauth ? 'application/json' : 'application/problem+json').send(JSON.stringify(problem));
  }

  toProblem(exception: unknown, req: Request, res: Response): ProblemDetails {
    const requestId = (req as Request & { id?: string }).id ?? undefined;
    const instance = req.originalUrl?.split('?')[0];
    const base = (status: number, slug: string, detail?: string): ProblemDetails => ({
      type: problemType(slug, req),
      title: STATUS_TITLES[status] ?? 'Error',
      status,
      detail,
      instance,
      requestId,
    });

    if (exception instanceof DomainError) {
      const p = base(exception.status, exception.code, exception.message);
      if (exception.errors?.length) p.errors = exception.errors;
      // OAuth 2.0 clients look for `error` and `error_description` (RFC 6749 §5.2); they ride along as extensions.
      const oauth = (exception as { error?: unknown }).error;
      if (typeof oauth === 'string') Object.assign(p, { error: oauth, error_description: exception.message });
      return p;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse() as { message?: unknown } | string;
      let detail: string | undefined;
      if (status === 404) detail = 'No such resource.';
      else if (status === 429) {
        detail = 'Too many requests. Retry later.';
        if (!res.getHeader('Retry-After')) res.setHeader('Retry-After', '60');
      } else if (typeof body === 'object' && typeof body.message === 'string') detail = body.message;
      else if (typeof body === 'string') detail = body;
      return base(status, STATUS_SLUGS[status] ?? 'error', detail);
    }
    if (isDatabaseUnavailable(exception)) {
      res.setHeader('Retry-After', '5');
      this.logger.warn({ failure: { kind: (exception as Error)?.name, sqlState: (exception as { code?: string })?.code } }, 'database unavailable');
      return base(503, 'database-unavailable', 'The database is unavailable. Retry shortly.');
    }
    this.logger.error(
      { failure: { kind: (exception as Error)?.name, sqlState: (exception as { code?: string })?.code, stack: safeStack(exception) } },
      'unhandled error',
    );
    return base(500, 'internal', 'An unexpected error occurred. Quote the request id when reporting it.');
  }
}
