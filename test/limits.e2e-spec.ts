import Redis from 'ioredis';
import { API, createTestApp, TestApp } from './support/test-app';

const REDIS_URL = process.env.OIE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisReachable(): Promise<boolean> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 500, retryStrategy: () => null });
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

const tokenCall = (t: TestApp) => t.http.post(`${API}/auth/token`).send({ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'nothing' });

describe('limits and headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_AUTH_PER_MINUTE: '3' });
  });
  afterAll(() => t.close());

  it('rate-limits the sign-in routes with 429, Retry-After and problem details', async () => {
    for (let i = 0; i < 3; i++) expect((await tokenCall(t)).status).toBe(401);
    const limited = await tokenCall(t);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['content-type']).toMatch(/problem\+json/);
    // Other routes are not under the sign-in limit.
    await t.http.get('/health/live').expect(200);
  });

  it('sends helmet’s security headers and keeps CORS closed', async () => {
    const res = await t.http.get('/health/live').set('Origin', 'https://evil.example');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await t.http.options(`${API}/requests`).set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('shared rate limits through Redis', () => {
  it('counts across two instances when REDIS_URL is set', async () => {
    if (!(await redisReachable())) {
      console.warn(`Redis not reachable at ${REDIS_URL}: the shared rate-limit test is skipped (CI has Redis).`);
      return;
    }
    const r = new Redis(REDIS_URL);
    const stale = await r.keys('oie:throttle:*');
    if (stale.length) await r.del(...stale);
    r.disconnect();
    const a = await createTestApp({ RATE_LIMIT_AUTH_PER_MINUTE: '4', REDIS_URL });
    const b = await createTestApp({ RATE_LIMIT_AUTH_PER_MINUTE: '4', REDIS_URL }, { shareWith: a });
    try {
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await tokenCall(i % 2 ? a : b)).status);
      expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
      expect(statuses.slice(4)).toEqual([429, 429]);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
