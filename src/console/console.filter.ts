import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DENIAL_RECORDER } from '../common/denial-recorder';
import type { DenialRecorder } from '../common/denial-recorder';
import { DomainError } from '../common/domain-error';
import { isDatabaseUnavailable } from '../common/problem-details.filter';
import { ConsoleRedirect, CsrfError } from './console.errors';
import { ConsoleRequest, langOf } from './console.guard';
import { DICTIONARIES, MessageKey } from './i18n';
import { RenderService } from './render.service';

/** Console errors are pages, not problem+json: redirects, 403 for CSRF, friendly messages. */
@Catch()
export class ConsoleFilter implements ExceptionFilter {
  private readonly logger = new Logger('ConsoleErrors');

  constructor(
    private readonly render: RenderService,
    @Inject(DENIAL_RECORDER) private readonly denials: DenialRecorder,
  ) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const req = host.switchToHttp().getRequest<ConsoleRequest>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    if (exception instanceof ConsoleRedirect) {
      res.redirect(303, exception.location);
      return;
    }
    let status = 500;
    let key: MessageKey = 'unexpected';
    if (exception instanceof CsrfError) {
      status = 403;
      key = 'csrf';
      await this.denials.recordDenial(req, 403, 'csrf-token-invalid');
    } else if (exception instanceof DomainError) {
      status = exception.status;
      key = status === 404 ? 'notFound' : status === 403 ? 'forbidden' : status === 409 ? 'conflict' : 'invalid';
      if ((status === 403 || status === 404) && !exception.audited) await this.denials.recordDenial(req, status, exception.code);
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      key = status === 404 ? 'notFound' : status === 403 ? 'forbidden' : 'invalid';
    } else if (isDatabaseUnavailable(exception)) {
      status = 503;
      res.setHeader('Retry-After', '5');
    } else {
      this.logger.error({ failure: { kind: (exception as Error)?.name, sqlState: (exception as { code?: string })?.code } }, 'console error');
    }
    const lang = req.console?.lang ?? langOf(req);
    res.status(status).type('html').setHeader('Cache-Control', 'no-store');
    res.send(this.render.render('error', { lang, title: 'errorTitle', error: DICTIONARIES[lang][key], requestId: typeof req.id === 'string' ? req.id : undefined, path: req.path }));
  }
}
