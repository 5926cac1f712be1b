import { randomUUID } from 'node:crypto';
import { AuditLogService } from '../src/audit/audit-log.service';
import { parsePrometheusText } from './support/prometheus';
import { ADMIN, API, bearer, createTestApp, signIn, TestApp } from './support/test-app';

const METRICS_TOKEN = 'metrics-token-for-the-tests-0123456789';

describe('operations: metrics and problem types', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ METRICS_TOKEN });
    admin = (await signIn(t, ADMIN.username, ADMIN.password)).token;
  });
  afterAll(() => t.close());

  describe('GET /metrics', () => {
    it('refuses a scrape without the token or with a wrong one', async () => {
      for (const auth of [undefined, 'Bearer wrong-token-wrong-token-wrong', `Basic ${METRICS_TOKEN}`]) {
        const req = t.http.get('/metrics');
        const res = await (auth ? req.set('Authorization', auth) : req);
        expect(res.status).toBe(401);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.text).not.toContain('http_request_duration_seconds');
      }
    });

    it('answers the Prometheus text format with the contract series, labelled by route template only', async () => {
      const secret = randomUUID();
      await t.http.get(`${API}/requests/${secret}`).set(bearer(admin));
      await t.http.get(`${API}/organizations`).set(bearer(admin)).expect(200);
      await t.http.get(`/no/such/${secret}`).expect(404);

      const res = await t.http.get('/metrics').set(bearer(METRICS_TOKEN)).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; (charset=utf-8; )?version=0\.0\.4/);
      expect(res.headers['cache-control']).toBe('no-store');
      const { samples, types } = parsePrometheusText(res.text);

      // No id ever becomes a label value.
      expect(res.text).not.toContain(secret);
      const http = samples.filter((s) => s.name === 'http_request_duration_seconds_count');
      expect(types.get('http_request_duration_seconds')).toBe('histogram');
      expect(http).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ labels: { method: 'GET', route: `${API}/requests/:id`, status_code: '403' } }),
          expect.objectContaining({ labels: { method: 'GET', route: `${API}/organizations`, status_code: '200' } }),
          expect.objectContaining({ labels: { method: 'GET', route: 'unmatched', status_code: '404' } }),
        ]),
      );
      for (const s of http) expect(s.labels.route).toMatch(/^(unmatched|\/[A-Za-z0-9/:._{}*-]*)$/);

      const one = (name: string, labels: Record<string, string> = {}) => samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      expect(one('oie_database_up')?.value).toBe(1);
      expect(one('oie_db_pool_connections', { pool: 'main' })?.value).toBeGreaterThan(0);
      expect(one('oie_db_pool_waiting', { pool: 'main' })?.value).toBe(0);
      expect(one('oie_db_pool_connections_in_use', { pool: 'audit' })).toBeDefined();
      expect(one('oie_audit_events_unsealed')?.value).toBeGreaterThanOrEqual(0);
      for (const age of ['lt_1d', '1d_7d', '7d_14d', 'ge_14d']) expect(one('oie_requests_pending', { age })?.value).toBe(0);
      expect(one('oie_requests_overdue')?.value).toBe(0);
      for (const status of ['due', 'overdue']) expect(one('oie_erasure_attestations', { status })?.value).toBe(0);
      expect(one('oie_webhook_oldest_pending_seconds')).toBeDefined();
      expect(one('process_cpu_seconds_total')).toBeDefined();
    });

    it('counts unsealed events and the time since the newest checkpoint', async () => {
      const before = parsePrometheusText((await t.http.get('/metrics').set(bearer(METRICS_TOKEN))).text).samples;
      await t.app.get(AuditLogService).sealNow();
      const after = parsePrometheusText((await t.http.get('/metrics').set(bearer(METRICS_TOKEN))).text).samples;
      const v = (samples: typeof after, name: string) => samples.find((s) => s.name === name)?.value;
      const sealedRow = await t.db.query('SELECT count(*)::int AS n FROM audit_events WHERE leaf_index IS NULL');
      expect(v(after, 'oie_audit_events_unsealed')).toBeLessThanOrEqual(sealedRow.rows[0].n + 1);
      expect(v(before, 'oie_audit_events_unsealed')).toBeGreaterThan(0);
      expect(v(after, 'oie_audit_seconds_since_checkpoint')).toBeGreaterThanOrEqual(0);
      expect(v(after, 'oie_audit_seconds_since_checkpoint')).toBeLessThan(60);
      expect(v(after, 'oie_audit_tree_size')).toBeGreaterThan(0);
    });
  });

  describe('problem types resolve', () => {
    it('a problem’s type leads to a page that explains it, in Japanese and English', async () => {
      const problem = await t.http.get(`${API}/requests/${randomUUID()}`).set(bearer(admin));
      const type = new URL(problem.body.type);
      expect(type.protocol).toBe('http:');
      expect(type.pathname).toMatch(/^\/problems\/[a-z-]+$/);
      const page = await t.http.get(type.pathname).expect(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.text).toContain('lang="ja"');
      expect(page.text).toContain('lang="en"');
      const json = await t.http.get(type.pathname).set('Accept', 'application/json').expect(200);
      expect(json.body).toMatchObject({ slug: type.pathname.split('/').pop(), status: problem.status, title: { ja: expect.any(String), en: expect.any(String) } });
    });

    it('lists every type and answers an unknown one with 404', async () => {
      const all = await t.http.get('/problems').set('Accept', 'application/json').expect(200);
      expect(Object.keys(all.body).length).toBeGreaterThan(50);
      expect(all.body['safeguards-not-active'].title.ja).toBe('安全管理措置が有効ではありません');
      const missing = await t.http.get('/problems/no-such-problem').expect(404);
      expect(missing.headers['content-type']).toMatch(/application\/problem\+json/);
    });
  });
});
