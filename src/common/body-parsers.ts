import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';
import { STATUS_TITLES, problemType } from './problem';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
export const MAX_JSON_DEPTH = 32;
/** Keys that name Object.prototype members (or `prototype`): never a field of ours, always refused. */
const FORBIDDEN_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/**
 * Why a parsed value must be refused before any code walks it: nesting deeper than any body of the
 * contract (deep recursion crashes validators), prototype-pollution keys, or NUL characters (which
 * PostgreSQL text cannot hold). Iterative, so hostile depth cannot overflow the stack here.
 */
export function unsafeJson(value: unknown): string | null {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  while (stack.length) {
    const { v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return 'NUL characters are not accepted';
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) return `nesting deeper than ${MAX_JSON_DEPTH} levels`;
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key)) return `the key ${key} is not accepted`;
      if (key.includes('\u0000')) return 'NUL characters are not accepted';
      stack.push({ v: (v as Record<string, unknown>)[key], depth: depth + 1 });
    }
  }
  return null;
}

function sendProblem(req: Request, res: Response, status: number, slug: string, detail: string) {
  if (req.path.startsWith('/console/') || req.path === '/console') {
    // Console forms get a page, not JSON.
    res
      .status(status)
      .type('html')
      .send(`<!doctype html><html lang="ja"><meta charset="utf-8"><title>${status}</title><link rel="stylesheet" href="/console/assets/console.css"><main><h1>${status}</h1><p>入力内容を確認してください。 / Check what you entered.</p><p><a href="/console">/console</a></p></main></html>`);
    return;
  }
  res
    .status(status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: problemType(slug, req),
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
    // NUL and prototype keys in the query are refused for every method, before routing.
    const queryString = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    if (/%00/.test(queryString) || Object.keys(req.query).some((k) => FORBIDDEN_KEYS.has(k)))
      return sendProblem(req, res, 400, 'malformed-query', 'The query or path is refused: NUL characters and prototype keys are not accepted.');
    const path = req.path;
    const hasBody =
      BODY_METHODS.has(req.method) &&
      ((req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') ||
        req.headers['transfer-encoding'] !== undefined);
    if (!hasBody) return next();
    const done = (err?: unknown) => {
      if (!err) {
        const problem = typeof req.body === 'string' ? (req.body.includes('\u0000') ? 'NUL characters are not accepted' : null) : unsafeJson(req.body);
        if (problem) return sendProblem(req, res, 400, 'malformed-body', `The body is refused: ${problem}.`);
        return next();
      }
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
