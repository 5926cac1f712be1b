import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** When the receiver had the whole body (ms since the epoch). */
  at: number;
}

export type Answer = { status: number; headers?: Record<string, string> };

/**
 * A webhook receiver on 127.0.0.1: records every request and answers as its behaviour for the
 * path says (200 by default). Tests change the behaviour of a path while it runs.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  private readonly behaviours = new Map<string, (n: number) => Answer>();
  private server?: http.Server;
  port = 0;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = (req.url ?? '/').split('?')[0]!;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        this.received.push({ path, headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
        const n = this.received.filter((r) => r.path === path).length;
        const answer = this.behaviours.get(path)?.(n) ?? { status: 200 };
        res.writeHead(answer.status, answer.headers).end();
      });
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** How to answer the n-th request (1-based) to this path. */
  answer(path: string, how: (n: number) => Answer): void {
    this.behaviours.set(path, how);
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Polls until `check` answers something truthy (or throws after `ms`). */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, ms = 20_000, every = 50): Promise<NonNullable<T>> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
