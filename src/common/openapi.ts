import { getSchemaPath } from '@nestjs/swagger';
import type { OpenAPIObject, ReferenceObject, ResponseObject, SchemaObject } from '@nestjs/swagger';
import { ProblemDetailsDto } from './dto/problem-details.dto';

/** Set by `@Public()` on an operation; `finishDocument` turns it into `security: []`. */
export const PUBLIC_OPERATION = 'x-public';

export const PROBLEM_JSON = 'application/problem+json';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

type Operation = {
  [PUBLIC_OPERATION]?: boolean;
  security?: Record<string, string[]>[];
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, ResponseObject | ReferenceObject>;
};

const header = (description: string, schema: SchemaObject = { type: 'string' }) => ({ description, schema });

/**
 * What every operation has in common, written once after the document is built from the decorators:
 *
 * - a public route (`@Public()`) says `security: []`, every other one keeps its bearer requirement;
 * - every error answer is problem details: each 4xx/5xx response gets `application/problem+json` with
 *   the shared `ProblemDetails` schema (unless the route names a more specific problem schema);
 * - 400 on every route (the body parser refuses NUL characters and prototype keys in any query
 *   before routing; routes with parameters or a body also validate them), and 413/415 on every route
 *   that takes a body (the body parser's size limit and media types);
 * - the headers that come with 401 (`WWW-Authenticate`) and 429/503 (`Retry-After`).
 */
export function finishDocument(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (!op) continue;
      if (op[PUBLIC_OPERATION]) {
        delete op[PUBLIC_OPERATION];
        op.security = [];
      }
      const validates = Boolean(op.requestBody) || Boolean(op.parameters?.length);
      op.responses['400'] ??= {
        description: validates
          ? 'Malformed request: a parameter or the body fails validation (`errors` names the fields), or the query holds NUL characters or prototype keys.'
          : 'Malformed request: the query holds NUL characters or prototype keys.',
      };
      if (op.requestBody) {
        op.responses['413'] ??= { description: 'The body exceeds the size limit.' };
        op.responses['415'] ??= { description: 'The body is not in an accepted media type, or not UTF-8.' };
      }
      for (const [code, response] of Object.entries(op.responses)) {
        if (!/^[45]\d\d$/.test(code) || '$ref' in response) continue;
        const problem = response.content?.[PROBLEM_JSON];
        // The token endpoint's OAuth errors are application/json (RFC 6749 §5.2): kept as declared.
        if (!response.content?.['application/json'])
          response.content = problem
            ? { [PROBLEM_JSON]: problem }
            : { [PROBLEM_JSON]: { schema: { $ref: getSchemaPath(ProblemDetailsDto) } } };
        if (code === '401')
          response.headers = {
            'WWW-Authenticate': header(
              'The authentication scheme to use: `Bearer` (access tokens) or `Basic` (the token endpoint).',
            ),
            ...response.headers,
          };
        if (code === '429')
          response.headers = {
            'Retry-After': header('Seconds to wait before trying again.', { type: 'integer' }),
            ...response.headers,
          };
      }
      // Keep the answers in status order (decorators add them in any order).
      op.responses = Object.fromEntries(Object.entries(op.responses).sort(([a], [b]) => a.localeCompare(b)));
    }
  }
  return document;
}
