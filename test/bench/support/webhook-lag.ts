import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { Api } from './http';
import { approve, createRequest, SeededRecord, World } from './seed';
import { log, mapLimit, now, percentile, sleep } from './util';

export interface WebhookLag {
  decisions: number;
  delivered: number;
  /** Deliveries whose signature did not verify (must be 0). */
  unverified: number;
  /** Deliveries of one webhook-id seen more than once. */
  duplicates: number;
  decideMs: number;
  /** From the event's occurred_at (the body's `timestamp`) to the receiver having the whole body. */
  lagMs: { p50: number; p99: number; max: number };
  /** From the first decision to the last delivery. */
  drainMs: number;
}

/**
 * Webhook delivery lag: every active municipality subscribes a receiver on 127.0.0.1 to
 * `request.decided`; `decisions` requests are made and then decided, and the receiver verifies
 * each delivery (standardwebhooks) and notes when it arrived against the event's time.
 */
export async function measureWebhookLag(api: Api, world: World, records: SeededRecord[], decisions: number, concurrency: number): Promise<WebhookLag> {
  const secrets = new Map<string, string>();
  const seen = new Map<string, number>();
  const lags: number[] = [];
  let unverified = 0;
  let duplicates = 0;
  let lastAt = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id']);
      const secret = secrets.get((req.url ?? '').slice(1));
      try {
        const msg = new Webhook(secret ?? 'whsec_AAAA').verify(body, req.headers as Record<string, string>) as { timestamp: string };
        if (seen.has(id)) duplicates += 1;
        else lags.push(at - Date.parse(msg.timestamp));
        seen.set(id, (seen.get(id) ?? 0) + 1);
        lastAt = at;
      } catch {
        unverified += 1;
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const active = new Map(world.active.map((m) => [m.code, m]));
    const askable = records.filter((r) => active.has(r.code));
    for (const m of world.active) {
      const hook = await api.expect(201, 'POST', '/api/v1/webhooks', {
        token: m.token!,
        json: { url: `http://127.0.0.1:${port}/${m.id}`, events: ['request.decided'], description: 'bench receiver' },
      });
      secrets.set(m.id, hook.secret as string);
    }
    const made = await mapLimit(Array.from({ length: decisions }, (_, i) => askable[(i * 104_729) % askable.length]!), concurrency, async (rec) => ({
      rec,
      id: await createRequest(api, active.get(rec.code)!.token!, rec),
    }));
    log(`  webhooks: ${world.active.length} endpoints subscribed, ${made.length} requests made; deciding them`);
    const t0 = now();
    const wall0 = Date.now();
    await mapLimit(made, concurrency, ({ rec, id }) => approve(api, world.holders[rec.holder]!.officer.token, id, 1));
    const decideMs = now() - t0;
    const until = Date.now() + 120_000;
    while (seen.size < decisions && Date.now() < until) await sleep(50);
    await sleep(500); // anything more would be a duplicate
    lags.sort((a, b) => a - b);
    return {
      decisions,
      delivered: seen.size,
      unverified,
      duplicates,
      decideMs: Math.round(decideMs),
      lagMs: { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags[lags.length - 1] ?? NaN },
      drainMs: lastAt ? lastAt - wall0 : NaN,
    };
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}
