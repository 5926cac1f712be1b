import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';
import { STATUS_TITLES, problemType } from './problem';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

function sendProblem(req: Request, res: Response, status: number, slug: string, detail: string) {
  res
    .status(status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: problemType(slug),
        title: STATUS_TITLES[status],
        status,
        detail,
        instance: req.originalUrl.split('?')[0],
        requestId: (req as Request & { id?: string }).id,
      }),
    );
}

export interface BodyParserOptions {
  limit: string;
  importLimit: string;
  /** Paths that accept application/x-www-form-urlencoded. */
  formPaths: string[];
  /** Path prefixes that accept forms (the console). */
  formPrefixes?: string[];
  /** Paths that accept NDJSON and CSV as text. */
  textPaths: string[];
}

/**
 * One body-parsing middleware: JSON everywhere, forms and text only where a route accepts them,
 * a size limit, and problem+json answers for too large (413), malformed (400) and wrong type (415).
 */
export function bodyParsing(opts: BodyParserOptions): RequestHandler {
  const json = express.json({ limit: opts.limit, type: ['application/json', 'application/*+json'], strict: true });
  const form = express.urlencoded({ limit: opts.limit, extended: false, parameterLimit: 20 });
  const text = express.text({ limit: opts.importLimit, type: ['application/x-ndjson', 'application/ndjson', 'text/csv'] });
  return (req: Request, res: Response, next: NextFunction) => {
    const path = req.path;
    const hasBody =
      BODY_METHODS.has(req.method) &&
      ((req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') ||
        req.headers['transfer-encoding'] !== undefined);
    if (!hasBody) return next();
    const done = (err?: unknown) => {
      if (!err) return next();
      const e = err as { type?: string; status?: number };
      if (e.type === 'entity.too.large') return sendProblem(req, res, 413, 'payload-too-large', `The body exceeds the limit.`);
      if (e.type === 'entity.parse.failed') return sendProblem(req, res, 400, 'malformed-body', 'The body is not valid JSON.');
      if (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported')
        return sendProblem(req, res, 415, 'unsupported-media-type', 'Only UTF-8 bodies are accepted.');
      return sendProblem(req, res, e.status && e.status < 500 ? e.status : 400, 'malformed-body', 'The body could not be read.');
    };
    if (req.is(['application/json', 'application/*+json'])) return json(req, res, done);
    const formAllowed = opts.formPaths.includes(path) || (opts.formPrefixes ?? []).some((p) => path.startsWith(p));
    if (formAllowed && req.is('application/x-www-form-urlencoded')) return form(req, res, done);
    if (opts.textPaths.includes(path) && req.is(['application/x-ndjson', 'application/ndjson', 'text/csv'])) return text(req, res, done);
    return sendProblem(req, res, 415, 'unsupported-media-type', 'This content type is not accepted here.');
  };
}
