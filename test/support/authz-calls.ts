import { randomUUID } from 'node:crypto';
import type { Caller } from '../authz-table';
import { consoleLoginForm, LOGIN_CSRF_COOKIE } from './authz-console';
import type { AuthzWorld } from './authz-world';
import { TestApp } from './test-app';
import { idemKey, recordBody, requestBody, safeguardsBody } from './exchange-fixtures';

/**
 * One HTTP call: path parameters for the route template, query, and a JSON, form or raw body.
 * The caller's credential is added by the matrix (a console form also gets the session's CSRF token).
 */
export interface CallSpec {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  form?: Record<string, string | string[]>;
  raw?: { contentType: string; text: string };
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
}

let seq = 0;
const unique = () => `${Date.now().toString(36)}${++seq}`;

/**
 * A realistic, minimal valid-ish call for every route, with the ids of the world's objects. Bodies
 * are valid so that an allowed caller gets past validation and the outcome is about permission.
 */
export const CALLS: Record<
  string,
  (a: AuthzWorld, caller: Caller, t: TestApp) => CallSpec | Promise<CallSpec>
> = {
  'GET /.well-known/jwks.json': () => ({}),
  'GET /health/live': () => ({}),
  'GET /metrics': () => ({}),
  'GET /problems': () => ({}),
  'GET /problems/:slug': () => ({ params: { slug: 'safeguards-not-active' } }),
  'GET /health/ready': () => ({}),
  'GET /api/docs': () => ({}),
  'GET /api/docs-json': () => ({}),
  'GET /api/docs-yaml': () => ({}),
  'GET /api/docs/': () => ({}),
  'GET /api/docs/index.html': () => ({}),
  'GET /api/docs/swagger-ui-init.js': () => ({}),
  'GET /api/docs/docs/swagger-ui-init.js': () => ({}),
  'GET /api/docs/LICENSE': () => ({}),
  'POST /api/v1/auth/token': (a) => ({
    body: {
      grant_type: 'client_credentials',
      client_id: a.tokenClient.clientId,
      client_secret: a.tokenClient.clientSecret,
    },
  }),
  'POST /api/v1/auth/login': (a) => ({
    body: { username: a.loginUser.username, password: a.loginUser.password },
  }),
  'POST /api/v1/auth/mfa/enroll': () => ({}),
  'POST /api/v1/auth/mfa/verify': () => ({ body: { code: '000000' } }),
  'POST /api/v1/auth/logout': () => ({}),

  'POST /api/v1/organizations': () => ({
    body: { kind: 'correctional_facility', name: `試験刑務所 ${unique()}` },
  }),
  'GET /api/v1/organizations': () => ({ query: { kind: 'municipality', limit: '10' } }),
  'GET /api/v1/organizations/:id': (a) => ({ params: { id: a.w.city.id } }),
  'POST /api/v1/organizations/:id/clients': (a) => ({
    params: { id: a.w.city.id },
    body: { name: `client ${unique()}`, scopes: ['disclosures:read'] },
  }),
  'GET /api/v1/organizations/:id/clients': (a) => ({ params: { id: a.w.city.id } }),
  'DELETE /api/v1/clients/:clientId': (a) => ({ params: { clientId: a.sacrificialClientId } }),
  'POST /api/v1/users': (a) => {
    const username = `matrix_${unique()}`;
    return {
      body: {
        username,
        displayName: '試験 利用者',
        organizationId: a.w.facility.id,
        roles: ['case_officer'],
        password: `pw-${username}-long-enough`,
      },
    };
  },
  'GET /api/v1/users': (a) => ({ query: { organizationId: a.w.facility.id } }),
  'PATCH /api/v1/users/:id': (a) => ({
    params: { id: a.patchUser.id },
    body: { displayName: `試験 ${unique()}` },
  }),

  'PUT /api/v1/safeguards': () => ({ body: safeguardsBody() }),
  'GET /api/v1/safeguards/current': () => ({}),
  'GET /api/v1/safeguards': () => ({ query: { status: 'active' } }),
  'GET /api/v1/organizations/:id/safeguards': (a) => ({ params: { id: a.w.city.id } }),
  'POST /api/v1/safeguards/:id/verify': (a) => ({ params: { id: a.sgToVerify }, body: {} }),
  'POST /api/v1/safeguards/:id/reject': (a) => ({
    params: { id: a.sgToReject },
    body: { reason: '措置の記載が不足' },
  }),
  'POST /api/v1/safeguards/:id/suspend': (a) => ({
    params: { id: a.sgToSuspend },
    body: { reason: '監査のため一時停止' },
  }),

  'POST /api/v1/release-records': () => ({ body: recordBody() }),
  'POST /api/v1/release-records/import': () => ({
    raw: { contentType: 'application/x-ndjson', text: JSON.stringify(recordBody()) + '\n' },
  }),
  'GET /api/v1/release-records': () => ({ query: { limit: '5' } }),
  'GET /api/v1/release-records/:id': (a) => ({ params: { id: a.record.id } }),
  'PATCH /api/v1/release-records/:id': (a) => ({
    params: { id: a.record.id },
    body: { facilityName: '大阪刑務所' },
  }),
  'GET /api/v1/release-records/:id/disclosures': (a) => ({ params: { id: a.record.id } }),

  'POST /api/v1/requests': (a) => ({
    headers: { 'Idempotency-Key': idemKey() },
    body: requestBody({ recordRef: a.record.recordRef }),
  }),
  'GET /api/v1/requests': () => ({ query: { limit: '5' } }),
  'GET /api/v1/requests/:id': (a) => ({ params: { id: a.reqApproved } }),
  'POST /api/v1/requests/:id/withdraw': (a) => ({
    params: { id: a.reqToWithdraw },
    body: { reason: '本人の転居により不要' },
  }),
  'POST /api/v1/requests/:id/decisions': (a) => ({
    params: { id: a.reqToDecide },
    body: { decision: 'approve', reason: '同意書を確認' },
  }),
  'GET /api/v1/requests/:id/decisions': (a) => ({ params: { id: a.reqApproved } }),
  'POST /api/v1/requests/:id/revoke': (a) => ({
    params: { id: a.reqToRevoke },
    body: { reason: '同意の撤回' },
  }),
  'GET /api/v1/requests/:id/disclosure': (a) => ({ params: { id: a.reqApproved } }),
  'POST /api/v1/requests/:id/erasure': (a) => ({
    params: { id: a.reqErasure },
    body: { disposedOn: '2026-01-05', method: '裁断及び電子データの完全消去', attestedBy: { name: '大阪 花子', title: '福祉局長' } },
  }),
  'GET /api/v1/erasure': () => ({ query: { status: 'due' } }),

  'POST /api/v1/webhooks': (a, caller) => ({
    body: {
      url: 'https://hooks.example.com/oie',
      events: ['request.decided', 'request.revoked'],
      description: '試験',
      ...(caller === 'admin' ? { organizationId: a.w.city.id } : {}),
    },
  }),
  'GET /api/v1/webhooks': () => ({ query: { limit: '5' } }),
  'GET /api/v1/webhooks/:id': (a) => ({ params: { id: a.webhook.id } }),
  // Each call deletes a webhook of its own (city A's), made just before.
  'DELETE /api/v1/webhooks/:id': async (a, _c, t) => {
    const res = await t.http
      .post('/api/v1/webhooks')
      .set('Authorization', `Bearer ${a.w.cityToken}`)
      .send({ url: 'https://hooks.example.com/gone', events: ['request.decided'] });
    if (res.status !== 201) throw new Error(`webhook for DELETE: ${res.status}`);
    return { params: { id: res.body.id as string } };
  },
  'POST /api/v1/webhooks/:id/rotate-secret': (a) => ({ params: { id: a.webhook.id } }),
  'POST /api/v1/webhooks/:id/ping': (a) => ({ params: { id: a.webhook.id } }),
  'GET /api/v1/webhooks/:id/deliveries': (a) => ({ params: { id: a.webhook.id }, query: { status: 'failed' } }),
  'POST /api/v1/webhooks/:id/deliveries/:deliveryId/redeliver': async (a, _c, t) => {
    // Finished again before each call, so an allowed caller gets 202 (not 409 delivery-pending).
    await t.db.query(`UPDATE webhook_deliveries SET status = 'failed' WHERE id = $1`, [a.webhookDelivery]);
    return { params: { id: a.webhook.id, deliveryId: a.webhookDelivery } };
  },

  'GET /api/v1/audit/events': () => ({ query: { limit: '5' } }),
  'GET /api/v1/audit/events/export': () => ({ query: { action: 'request.create' } }),
  'GET /api/v1/audit/checkpoints/latest': () => ({}),
  'GET /api/v1/audit/checkpoints/latest.note': () => ({}),
  'GET /api/v1/audit/verifier-key': () => ({}),
  'GET /api/v1/audit/checkpoints': () => ({ query: { limit: '5' } }),
  'GET /api/v1/audit/events/:index/proof': () => ({ params: { index: '0' } }),
  'GET /api/v1/audit/consistency': () => ({ query: { from: '1', to: '2' } }),
  'POST /api/v1/audit/verify': () => ({ body: {} }),
  'GET /api/v1/statistics': () => ({ query: { groupBy: 'purpose' } }),
  'POST /api/v1/audit/reviews': () => ({ body: { kind: 'period', from: '2026-11-01', to: '2026-11-02', conclusion: '期間内の提供を確認した。' } }),
  'GET /api/v1/audit/reviews': () => ({ query: { limit: '5' } }),
  'GET /api/v1/audit/actions': () => ({}),
  'GET /api/v1/audit/records/:recordId/report': (a) => ({ params: { recordId: a.record.id } }),
  'GET /api/v1/audit/anomalies': () => ({ query: { view: 'refusals' } }),

  'GET /console/login': () => ({}),
  'POST /console/login': async (a, _c, t) => {
    const csrf = await consoleLoginForm(t);
    return {
      cookies: { [LOGIN_CSRF_COOKIE]: csrf },
      form: { _csrf: csrf, username: a.loginUser.username, password: a.loginUser.password },
    };
  },
  'GET /console/mfa': () => ({}),
  'POST /console/mfa': () => ({ form: { code: '000000' } }),
  'POST /console/logout': () => ({ form: {} }),
  'GET /console': () => ({}),
  'GET /console/queue': () => ({ query: { status: 'pending' } }),
  'GET /console/requests/:id': (a) => ({ params: { id: a.reqApproved } }),
  'GET /console/requests/:id/record': (a) => ({ params: { id: a.reqApproved } }),
  'POST /console/requests/:id/decide': (a) => ({
    params: { id: a.reqConsoleDecide },
    form: { step: 'confirm', decision: 'reject', reason: '同意の範囲外' },
  }),
  'POST /console/requests/:id/revoke': (a) => ({
    params: { id: a.reqConsoleRevoke },
    form: { reason: '同意の撤回' },
  }),
  // An approved request cannot be taken (a 409 redirect, allowed); releasing one nobody holds does nothing.
  'POST /console/requests/:id/take': (a) => ({ params: { id: a.reqApproved }, form: {} }),
  'POST /console/requests/:id/release': (a) => ({ params: { id: a.reqApproved }, form: {} }),
  'GET /console/safeguards': () => ({}),
  'GET /console/safeguards/:id': (a) => ({ params: { id: a.sgConsoleReject } }),
  'POST /console/safeguards/:id/:action': (a) => ({
    params: { id: a.sgConsoleReject, action: 'reject' },
    form: { reason: '措置の記載が不足' },
  }),
  'GET /console/audit': () => ({ query: { outcome: 'denied' } }),
  'POST /console/audit/verify': () => ({ form: {} }),
  'GET /console/audit/export': () => ({ query: { action: 'request.create' } }),
  'GET /console/statistics': () => ({ query: { groupBy: 'prefecture' } }),
  'GET /console/statistics/export': () => ({ query: { groupBy: 'month' } }),
  'GET /console/audit/requests/:id': (a) => ({ params: { id: a.reqApproved } }),
  'GET /console/audit/records/:id': (a) => ({ params: { id: a.record.id } }),
  'GET /console/audit/reviews': () => ({}),
  'POST /console/audit/reviews': () => ({ form: { kind: 'period', from: '2026-11-01', to: '2026-11-02', conclusion: '期間内の提供を確認した。' } }),
  'GET /console/audit/report': (a) => ({ query: { record: a.record.id } }),
  'GET /console/audit/report/export': (a) => ({ query: { record: a.record.id } }),
  'GET /console/audit/anomalies': () => ({}),
  'GET /console/webhooks': (a, caller) => (caller === 'admin' ? { query: { org: a.w.city.id } } : {}),
  'GET /console/admin': () => ({}),
  'POST /console/admin/organizations': () => ({
    form: { kind: 'probation_office', name: `試験保護観察所 ${unique()}` },
  }),
  'POST /console/admin/users': (a) => {
    const username = `console_${unique()}`;
    return {
      form: {
        username,
        displayName: '試験 利用者',
        organizationId: a.w.facility.id,
        roles: 'case_officer',
        password: `pw-${username}-long-enough`,
      },
    };
  },
  'POST /console/admin/users/:id/:action': (a) => ({
    params: { id: a.patchUser.id, action: 'enable' },
    form: {},
  }),
  'POST /console/admin/organizations/:id/clients': (a) => ({ params: { id: a.cityD.id }, form: {} }),
  'POST /console/admin/clients/:clientId/revoke': (a) => ({
    params: { clientId: a.consoleSacrificialClientId },
    form: {},
  }),
};

/**
 * Routes that end the caller's session, called after every other route and in this order (the API
 * sign-out ends the console session too, so the console's own sign-out goes first).
 */
export const SESSION_ENDING = ['POST /console/logout', 'POST /api/v1/auth/logout'];

/** Fills a route template (`/requests/:id`) with the call's parameters. */
export function fillPath(template: string, params: Record<string, string> = {}): string {
  return template.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`no value for :${name} in ${template}`);
    return encodeURIComponent(v);
  });
}

/** The same parameters with every UUID replaced by a fresh one that names nothing. */
export function unknownIds(params: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(params).map(([k, v]) => [k, /^[0-9a-f-]{36}$/i.test(v) ? randomUUID() : v]),
  );
}
