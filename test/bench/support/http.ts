/* A tiny JSON client over Node's fetch (keep-alive), with the error shapes the drills need. */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
  ms: number;
}

export interface CallOptions {
  token?: string;
  json?: unknown;
  form?: Record<string, string>;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** A failure below HTTP: refused, reset, timed out. `code` is the socket error code when known. */
export class TransportError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

function transportCode(err: unknown): string {
  const e = err as {
    name?: string;
    code?: string;
    cause?: { code?: string; name?: string; cause?: { code?: string } };
  };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'TIMEOUT';
  return e?.cause?.code ?? e?.cause?.cause?.code ?? e?.code ?? e?.cause?.name ?? 'UNKNOWN';
}

export class Api {
  constructor(readonly base: string) {}

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async call<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] = 'application/json';
    } else if (opts.form) {
      body = new URLSearchParams(opts.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (opts.text !== undefined) {
      body = opts.text;
      headers['content-type'] = opts.contentType ?? 'text/plain';
    }
    const started = performance.now();
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.base + path, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 120_000),
      });
      text = await res.text();
    } catch (err) {
      throw new TransportError(transportCode(err), `${method} ${path}: ${(err as Error).message}`);
    }
    let parsed: unknown = text;
    if (text && /json/.test(res.headers.get('content-type') ?? '')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return {
      status: res.status,
      headers: res.headers,
      body: parsed as T,
      text,
      ms: performance.now() - started,
    };
  }

  /** Like `call`, but throws unless the status is the expected one. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async expect<T = any>(
    status: number | number[],
    method: string,
    path: string,
    opts: CallOptions = {},
  ): Promise<T> {
    const res = await this.call<T>(method, path, opts);
    const ok = Array.isArray(status) ? status.includes(res.status) : res.status === status;
    if (!ok)
      throw new Error(
        `${method} ${path}: expected ${String(status)}, got ${res.status}: ${res.text.slice(0, 500)}`,
      );
    return res.body;
  }
}
