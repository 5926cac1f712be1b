import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { guardedLookup, hostKey } from './address-guard';

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  /** Why it failed, as a short class (never the answer's body). */
  error: string | null;
}

const ERROR_CLASSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTALLOWED: 'address not allowed (private, loopback, link-local or not public)',
  EPROTO: 'TLS protocol error',
};

function describe(err: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `timeout after ${timeoutMs} ms`;
  const code = (err as { code?: string })?.code;
  if (code && ERROR_CLASSES[code]) return ERROR_CLASSES[code];
  if (code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO/.test(code)) return `TLS error (${code})`;
  return `network error (${code ?? (err as Error)?.name ?? 'unknown'})`;
}

/**
 * One POST to a webhook endpoint. Node's client never follows redirects, so a 3xx is a failure
 * like any other answer outside 2xx. Unless the host is on the allowed list, the connection goes
 * only to an address the guarded lookup checked (literal IP hosts were checked before this call).
 * Success is a 2xx within `timeoutMs`.
 */
export function postWebhook(rawUrl: string, headers: Record<string, string>, body: string, opts: { timeoutMs: number; allowedHosts: readonly string[] }): Promise<AttemptResult> {
  const url = new URL(rawUrl);
  const allowed = opts.allowedHosts.includes(hostKey(url));
  const client = url.protocol === 'https:' ? https : http;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    let timedOut = false;
    const finish = (r: Omit<AttemptResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...r, durationMs: elapsed() });
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'oie-webhooks/1' },
        agent: false,
        ...(allowed ? {} : { lookup: guardedLookup as unknown as typeof import('node:dns').lookup }),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        // The answer's body is read and dropped: it is never stored or logged.
        res.resume();
        res.on('error', () => undefined);
        res.on('end', () => clearTimeout(timer));
        finish({
          ok,
          statusCode: status,
          error: ok ? null : status >= 300 && status < 400 ? `redirect not followed (HTTP ${status})` : `HTTP ${status}`,
        });
      },
    );
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error('timeout'));
    }, opts.timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      finish({ ok: false, statusCode: null, error: describe(err, timedOut, opts.timeoutMs) });
    });
    req.on('close', () => clearTimeout(timer));
    req.end(body);
  });
}
