/**
 * Base of problem `type` URIs. With `PROBLEM_BASE_URL` set, that (a stable, absolute identifier).
 * Unset, the address the request reached (scheme and host, as `TRUST_PROXY` lets Express read
 * them) followed by `/problems/`, so the type always resolves to the service that answered.
 * Either way `GET /problems/<slug>` explains it.
 */
let configuredBase: string | undefined;

export function setProblemBase(base: string | undefined): void {
  configuredBase = base;
}

const SAFE_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

export function problemBaseFor(req?: { protocol?: string; get?(name: string): string | undefined }): string {
  if (configuredBase) return configuredBase;
  const host = req?.get?.('host');
  const scheme = req?.protocol === 'https' ? 'https' : 'http';
  return `${scheme}://${host && SAFE_HOST.test(host) ? host : 'localhost'}/problems/`;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: { field: string; message: string }[];
}

export const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const STATUS_SLUGS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable',
  429: 'rate-limited',
  500: 'internal',
  503: 'unavailable',
};

export function problemType(slug: string, req?: Parameters<typeof problemBaseFor>[0]): string {
  return problemBaseFor(req) + slug;
}
